import { randomBytes } from 'node:crypto';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { TEST_AWS_CREDENTIALS, TEST_AWS_REGION } from '../../../test/harness/aws-servers.ts';
import { SqsBatchEntryError, SqsQueue, sqsQueueName, type SqsQueueOptions } from '../src/index.ts';
import { describeQueueConformance, uniqueQueueName } from './conformance.ts';

const endpoint = inject('motoEndpoint');

function newClient(): SQSClient {
  return new SQSClient({ endpoint, region: TEST_AWS_REGION, credentials: TEST_AWS_CREDENTIALS });
}

interface ObservedCommand {
  name: string;
  input: Record<string, unknown>;
}

/** Records every command the client sends (name and input as it goes on the wire); observes, changes nothing. */
function observeCommands(client: SQSClient): ObservedCommand[] {
  const observed: ObservedCommand[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      observed.push({ name: context.commandName ?? '', input: structuredClone(args.input as Record<string, unknown>) });
      return next(args);
    },
    { step: 'initialize', name: 'observeCommands' },
  );
  return observed;
}

/** How each command the client sends ends: 'ok', or the name of the error it rejects with. */
function observeOutcomes(client: SQSClient): { name: string; outcome: string }[] {
  const outcomes: { name: string; outcome: string }[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? '';
      try {
        const result = await next(args);
        outcomes.push({ name, outcome: 'ok' });
        return result;
      } catch (error) {
        outcomes.push({ name, outcome: error instanceof Error ? error.name : String(error) });
        throw error;
      }
    },
    { step: 'initialize', name: 'observeOutcomes' },
  );
  return outcomes;
}

function countOf(observed: ObservedCommand[], name: string): number {
  return observed.filter((command) => command.name === name).length;
}

/** A name prefix no other test uses, so listing queues by prefix sees only this test's queues. */
function uniquePrefix(): string {
  return `t${randomBytes(4).toString('hex')}-`;
}

// SQS honours every receipt handle a message has had, not only the latest one: moto does the same
// on purpose (getmoto/moto#4655, "verified against AWS"). The suite's stale-receipt cases do not
// apply; 'a superseded receipt still acts on the message' below pins what SQS does instead. A
// standard queue is also at-least-once: concurrent receives may share a message (moto's do under load).
describeQueueConformance('SqsQueue over moto', async () => {
  const client = newClient();
  const queue = new SqsQueue({ client, provision: { maxReceiveCount: 2 } });
  return {
    queue,
    close: async () => {
      await queue.close();
      client.destroy();
    },
  };
}, { supersededReceiptsAreVoid: false, concurrentReceivesAreExclusive: false });

describe('SqsQueue specifics', () => {
  const clients: SQSClient[] = [];
  const queues: SqsQueue[] = [];
  afterAll(async () => {
    await Promise.all(queues.splice(0).map((queue) => queue.close()));
    for (const client of clients.splice(0)) client.destroy();
  });

  function open(options: Partial<SqsQueueOptions> = {}): { queue: SqsQueue; client: SQSClient; observed: ObservedCommand[] } {
    const client = newClient();
    clients.push(client);
    const observed = observeCommands(client);
    const queue = new SqsQueue({ client, provision: { maxReceiveCount: 2 }, ...options });
    queues.push(queue);
    return { queue, client, observed };
  }

  const raw = newClient();
  clients.push(raw);

  async function queueUrlsWithPrefix(prefix: string): Promise<string[]> {
    const { QueueUrls } = await raw.send(new ListQueuesCommand({ QueueNamePrefix: prefix }));
    return (QueueUrls ?? []).sort();
  }

  async function drain(url: string, expected: number): Promise<string[]> {
    const bodies: string[] = [];
    const deadline = Date.now() + 10_000;
    while (bodies.length < expected && Date.now() < deadline) {
      const { Messages } = await raw.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60 }));
      for (const message of Messages ?? []) bodies.push(message.Body ?? '');
    }
    return bodies;
  }

  it('maps logical names to SQS names: the prefix in front, `.dlq` as `-dlq`', async () => {
    expect(sqsQueueName('jobs-kontext-dev')).toBe('kontext-jobs-kontext-dev');
    expect(sqsQueueName('jobs-kontext-dev.dlq')).toBe('kontext-jobs-kontext-dev-dlq');
    expect(sqsQueueName('webhooks.dlq', 'staging-')).toBe('staging-webhooks-dlq');
    expect(() => sqsQueueName('has space')).toThrow(/valid SQS queue name/);
    expect(() => sqsQueueName('x'.repeat(80))).toThrow(/valid SQS queue name/);

    const prefix = uniquePrefix();
    const { queue } = open({ namePrefix: prefix });
    await queue.send('jobs-kontext-dev', { hello: 'sqs' });
    const urls = await queueUrlsWithPrefix(prefix);
    expect(urls.map((url) => url.slice(url.lastIndexOf('/') + 1))).toEqual([`${prefix}jobs-kontext-dev`, `${prefix}jobs-kontext-dev-dlq`]);

    // The main queue dead-letters into the `-dlq` queue after the configured number of receives.
    const { Attributes } = await raw.send(new GetQueueAttributesCommand({ QueueUrl: urls[0], AttributeNames: ['RedrivePolicy'] }));
    const redrive = JSON.parse(Attributes?.RedrivePolicy ?? '{}') as { deadLetterTargetArn?: string; maxReceiveCount?: number | string };
    expect(redrive.deadLetterTargetArn).toMatch(new RegExp(`:${prefix}jobs-kontext-dev-dlq$`));
    expect(Number(redrive.maxReceiveCount)).toBe(2);

    // The logical `.dlq` name reads the physical `-dlq` queue.
    await raw.send(new SendMessageCommand({ QueueUrl: urls[1], MessageBody: JSON.stringify({ dead: 'letter' }) }));
    const [dead] = await queue.receive('jobs-kontext-dev.dlq', { maxMessages: 1, waitSeconds: 2, visibilitySeconds: 30 });
    expect(dead?.body).toEqual({ dead: 'letter' });
  });

  it('uses queueUrls as given, without looking any URL up', async () => {
    const { QueueUrl } = await raw.send(new CreateQueueCommand({ QueueName: `elsewhere-${randomBytes(4).toString('hex')}` }));
    const { queue, observed } = open({ queueUrls: { webhooks: QueueUrl! }, provision: undefined });
    await queue.send('webhooks', { delivery: 1 });
    const [message] = await queue.receive('webhooks', { maxMessages: 1, waitSeconds: 2, visibilitySeconds: 30 });
    expect(message?.body).toEqual({ delivery: 1 });
    await queue.ack('webhooks', message!.receipt);
    expect(countOf(observed, 'GetQueueUrlCommand')).toBe(0);
    expect(countOf(observed, 'CreateQueueCommand')).toBe(0);
    expect(observed.map((command) => command.input.QueueUrl)).toEqual([QueueUrl, QueueUrl, QueueUrl]);
  });

  it('looks each URL up once, and retries a lookup that failed', async () => {
    const name = uniqueQueueName('lookup');
    const { queue, observed } = open({ provision: undefined });
    // Without provisioning a missing queue is an error, and the failure is not remembered.
    await expect(queue.send(name, { n: 0 })).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
    const { QueueUrl } = await raw.send(new CreateQueueCommand({ QueueName: sqsQueueName(name) }));
    for (let i = 1; i <= 3; i++) await queue.send(name, { n: i });
    expect(await queue.receive(name, { maxMessages: 10, waitSeconds: 1, visibilitySeconds: 30 })).toHaveLength(3);
    expect(countOf(observed, 'GetQueueUrlCommand')).toBe(2);
    expect(observed.filter((command) => command.name === 'SendMessageCommand').every((command) => command.input.QueueUrl === QueueUrl)).toBe(true);
  });

  it('coalesces concurrent sends into SendMessageBatch calls of up to 10', async () => {
    const name = uniqueQueueName('batching');
    const { queue, observed } = open();
    await queue.send(name, { warm: 'up' });
    expect(countOf(observed, 'SendMessageCommand')).toBe(1);

    await Promise.all(Array.from({ length: 25 }, (_, i) => queue.send(name, { i })));
    const batches = observed.filter((command) => command.name === 'SendMessageBatchCommand');
    expect(batches.map((batch) => (batch.input.Entries as unknown[]).length)).toEqual([10, 10, 5]);
    expect(countOf(observed, 'SendMessageCommand')).toBe(1);

    const bodies = (await drain(observed.find((command) => command.name === 'SendMessageBatchCommand')!.input.QueueUrl as string, 26)).map(
      (body) => JSON.parse(body) as { i?: number },
    );
    expect(bodies.filter((body) => body.i !== undefined).map((body) => body.i).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it('a batch entry that SQS refuses rejects only its own send', async () => {
    const name = uniqueQueueName('batch-failure');
    const { queue, client } = open();
    await queue.send(name, { warm: 'up' });
    // Fault injection on the wire: push one entry's delay past SQS's limit, so the server refuses that entry alone.
    client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Entries?: { MessageBody?: string; DelaySeconds?: number }[] };
        for (const entry of input.Entries ?? []) if (entry.MessageBody?.includes('"poison"')) entry.DelaySeconds = 901;
        return next(args);
      },
      { step: 'initialize', name: 'poisonOneEntry' },
    );
    const outcomes = await Promise.allSettled([queue.send(name, { n: 1 }), queue.send(name, 'poison'), queue.send(name, { n: 3 })]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const refusal = (outcomes[1] as PromiseRejectedResult).reason as unknown;
    expect(refusal).toBeInstanceOf(SqsBatchEntryError);
    expect(refusal).toMatchObject({ code: 'InvalidParameterValue', senderFault: true });
  });

  it('clamps delays to SQS range (0..900 s)', async () => {
    const name = uniqueQueueName('delay-clamp');
    const { queue, observed } = open();
    await queue.send(name, { late: true }, { delaySeconds: 3600 });
    await queue.send(name, { early: true }, { delaySeconds: -5 });
    const sends = observed.filter((command) => command.name === 'SendMessageCommand');
    expect(sends.map((command) => command.input.DelaySeconds)).toEqual([900, 0]);
    // The clamped-to-zero message is there at once; the 15-minute one is not.
    const received = await queue.receive(name, { maxMessages: 10, waitSeconds: 1, visibilitySeconds: 30 });
    expect(received.map((message) => message.body)).toEqual([{ early: true }]);
  });

  it('clamps receive and visibility parameters to SQS limits', async () => {
    const name = uniqueQueueName('receive-clamp');
    const { queue, observed } = open();
    await queue.send(name, { n: 1 });
    const [message] = await queue.receive(name, { maxMessages: 50, waitSeconds: 60, visibilitySeconds: 100_000 });
    expect(message).toBeDefined();
    const receive = observed.find((command) => command.name === 'ReceiveMessageCommand')!;
    expect(receive.input).toMatchObject({ MaxNumberOfMessages: 10, WaitTimeSeconds: 20, VisibilityTimeout: 43_200 });
    // SQS counts the 12-hour cap from the receive, so a further 12 hours is refused: an error, not a lost delivery.
    await expect(queue.extendVisibility(name, message!.receipt, 100_000)).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    expect(observed.find((command) => command.name === 'ChangeMessageVisibilityCommand')!.input.VisibilityTimeout).toBe(43_200);
    expect(await queue.extendVisibility(name, message!.receipt, -1)).toBe(true);
    expect(observed.filter((command) => command.name === 'ChangeMessageVisibilityCommand')[1]!.input.VisibilityTimeout).toBe(0);
    await queue.ack(name, message!.receipt);
  });

  it('two instances provisioning the same queue at once both succeed, creating it once', async () => {
    const prefix = uniquePrefix();
    const first = open({ namePrefix: prefix });
    const second = open({ namePrefix: prefix });
    await Promise.all([first.queue.send('jobs-preview', { from: 1 }), second.queue.send('jobs-preview', { from: 2 })]);
    const urls = await queueUrlsWithPrefix(prefix);
    expect(urls.map((url) => url.slice(url.lastIndexOf('/') + 1))).toEqual([`${prefix}jobs-preview`, `${prefix}jobs-preview-dlq`]);
    const received = await first.queue.receive('jobs-preview', { maxMessages: 10, waitSeconds: 1, visibilitySeconds: 30 });
    const more = received.length < 2 ? await second.queue.receive('jobs-preview', { maxMessages: 10, waitSeconds: 1, visibilitySeconds: 30 }) : [];
    expect([...received, ...more].map((message) => message.body)).toEqual(expect.arrayContaining([{ from: 1 }, { from: 2 }]));
  });

  it('ignores receipts SQS never issued in ack and release, and extendVisibility says false', async () => {
    const name = uniqueQueueName('bogus-receipt');
    const { queue } = open();
    await queue.send(name, { n: 1 });
    const [message] = await queue.receive(name, { maxMessages: 1, waitSeconds: 1, visibilitySeconds: 30 });
    expect(message).toBeDefined();
    for (const receipt of ['garbage', `${message!.receipt}x`]) {
      expect(await queue.extendVisibility(name, receipt, 30)).toBe(false);
      await queue.ack(name, receipt);
      await queue.release(name, receipt);
    }
    expect(await queue.extendVisibility(name, message!.receipt, 30)).toBe(true);
    await queue.ack(name, message!.receipt);
    // Acking twice is harmless.
    await queue.ack(name, message!.receipt);
  });

  it('a superseded receipt still acts on the message (why two conformance cases are skipped)', async () => {
    const name = uniqueQueueName('superseded');
    const { queue } = open();
    await queue.send(name, { n: 1 });
    const [first] = await queue.receive(name, { maxMessages: 1, waitSeconds: 1, visibilitySeconds: 1 });
    const [second] = await queue.receive(name, { maxMessages: 1, waitSeconds: 5, visibilitySeconds: 30 });
    expect(second?.messageId).toBe(first?.messageId);
    expect(second?.receipt).not.toBe(first?.receipt);
    // The earlier delivery's receipt still extends and deletes the message now held by the later one.
    expect(await queue.extendVisibility(name, first!.receipt, 30)).toBe(true);
    await queue.ack(name, first!.receipt);
    expect(await queue.extendVisibility(name, second!.receipt, 30)).toBe(false);
  });

  it('delivers a body that is not JSON as the string it is', async () => {
    const name = uniqueQueueName('not-json');
    const { queue } = open();
    await queue.send(name, { provisions: 'the queue' });
    const { QueueUrl } = await raw.send(new GetQueueUrlCommand({ QueueName: sqsQueueName(name) }));
    await raw.send(new SendMessageCommand({ QueueUrl: QueueUrl!, MessageBody: 'not { json' }));
    const received = await queue.receive(name, { maxMessages: 10, waitSeconds: 1, visibilitySeconds: 30 });
    expect(received.map((message) => message.body)).toEqual(expect.arrayContaining([{ provisions: 'the queue' }, 'not { json']));
  });

  it('close() sends what is still batched and ends a pending long poll', async () => {
    const name = uniqueQueueName('close');
    const { queue, client, observed } = open();
    const outcomes = observeOutcomes(client);
    await queue.send(name, { warm: 'up' });
    const reader = open().queue;
    const polling = queue.receive(uniqueQueueName('close-poll'), { maxMessages: 1, waitSeconds: 20, visibilitySeconds: 30 });
    // Close once the long poll is on its way to SQS, so that there is a request for close() to end.
    await vi.waitFor(() => expect(countOf(observed, 'ReceiveMessageCommand')).toBe(1), { timeout: 10_000 });
    const sent = queue.send(name, { last: 'words' });
    await queue.close();
    await sent;
    expect(await polling).toEqual([]);
    // Ended by close() aborting it, not by its 20 s wait running out.
    expect(outcomes.filter((command) => command.name === 'ReceiveMessageCommand')).toEqual([
      { name: 'ReceiveMessageCommand', outcome: 'AbortError' },
    ]);
    const received = await reader.receive(name, { maxMessages: 10, waitSeconds: 1, visibilitySeconds: 30 });
    expect(received.map((message) => message.body)).toEqual(expect.arrayContaining([{ last: 'words' }]));
  });
});
