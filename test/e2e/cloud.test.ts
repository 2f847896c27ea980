import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findFreePort } from '@kontext/local';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import sharp from 'sharp';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildLambdaBundles, LAMBDA_BUNDLES, WORKER_BUNDLE } from '../../infra/src/lambda-bundles.ts';
import { ApiClient } from '../harness/api-client.ts';
import { createCloudFixture, type CloudFixture } from '../harness/cloud.ts';
import { createTestDatabase } from '../harness/database.ts';
import { pngImage } from '../harness/images.ts';
import { serveLambdaOverHttp, type HttpApiHandler, type LambdaBridge } from '../harness/lambda-bridge.ts';
import { spawnCommand, type SpawnedProcess } from '../harness/processes.ts';
import { WebhookReceiver } from '../harness/receiver.ts';
import { detailedPromptFor, UpsamplerServer } from '../harness/upsampler-server.ts';
import { sleep } from '@kontext/core';

// The cloud composition end to end, over the real wire protocols and with the deployed artifacts:
// the API Lambda's bundle served through API Gateway v2 events, jobs through SQS and images in S3
// (the protocol servers), the worker container's bundle with the preview engine, and webhooks
// relayed through the webhooks queue to the dispatcher Lambda's bundle. Only AWS is replaced, by
// moto and s3rver.

let fixture: CloudFixture;
let bridge: LambdaBridge;
let worker: SpawnedProcess;
let bundleDirectory: string | undefined;
let healthPort: number;
let receiver: WebhookReceiver;
let upsampler: UpsamplerServer;
let dispatch: (event: SQSEvent) => Promise<SQSBatchResponse>;
let maintain: () => Promise<{ passes: number }>;
let admin: ApiClient;
let api: ApiClient;

const CLOUD_UPSAMPLER_KEY = `sk-cloud-${'c'.repeat(32)}`;

beforeAll(async () => {
  fixture = await createCloudFixture({ motoEndpoint: inject('motoEndpoint'), s3Endpoint: inject('s3Endpoint'), database: await createTestDatabase() });
  // A lost relay is relayed again after 2 s instead of a minute.
  fixture.env.WEBHOOK_CLAIM_SECONDS = '2';
  receiver = await new WebhookReceiver().start();
  upsampler = await new UpsamplerServer().start();
  // What the CDK app sets on each function, pointed at the protocol servers.
  Object.assign(process.env, fixture.env, {
    PUBLIC_BASE_URL: 'https://api.kontext.test',
    // The receiver listens on loopback; in AWS private targets are always refused.
    ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true',
  });
  bundleDirectory = await mkdtemp(join(tmpdir(), 'kontext-bundles-'));
  const bundles = await buildLambdaBundles({ outDir: bundleDirectory, bundles: { ...LAMBDA_BUNDLES, ...WORKER_BUNDLE } });
  const entry = (name: string) => join(bundles.find((bundle) => bundle.name === name)!.directory, 'index.mjs');
  const apiLambda = (await import(pathToFileURL(entry('api')).href)) as { handler: HttpApiHandler };
  dispatch = ((await import(pathToFileURL(entry('dispatcher')).href)) as { handler: typeof dispatch }).handler;
  maintain = ((await import(pathToFileURL(entry('maintenance')).href)) as { handler: typeof maintain }).handler;
  bridge = await serveLambdaOverHttp(apiLambda.handler);

  healthPort = await findFreePort();
  worker = spawnCommand(process.execPath, ['--enable-source-maps', entry('worker')], {
    ...fixture.env,
    BACKEND: 'aws',
    ENGINE: 'preview',
    ENGINE_POOL: 'kontext-dev',
    HEALTH_PORT: String(healthPort),
    LOG_LEVEL: 'info',
    // The worker container's prompt upsampler, on loopback here (so allowed to be private).
    PROMPT_UPSAMPLER_URL: upsampler.url('/v1'),
    PROMPT_UPSAMPLER_MODEL: 'detail-writer-1',
    PROMPT_UPSAMPLER_API_KEY: CLOUD_UPSAMPLER_KEY,
    ALLOW_PRIVATE_PROMPT_UPSAMPLER: 'true',
  });
  await worker.waitForOutput(/worker ready/, 30_000);

  admin = new ApiClient(bridge.url, fixture.adminToken, 'admin');
  const tenant = await admin.request<{ id: string }>('POST', '/admin/v1/tenants', { json: { name: 'Cloud', credits: 1000 } });
  expect(tenant.status).toBe(201);
  const key = await admin.request<{ key: string }>('POST', `/admin/v1/tenants/${tenant.body.id}/keys`, { json: { name: 'cloud' } });
  expect(key.status).toBe(201);
  api = new ApiClient(bridge.url, key.body.key);
}, 120_000);

afterAll(async () => {
  if (worker && worker.child.exitCode === null) {
    worker.child.kill('SIGTERM');
    await worker.exited;
  }
  await bridge?.close();
  await receiver?.stop();
  await upsampler?.stop();
  await fixture?.close();
  if (bundleDirectory) await rm(bundleDirectory, { recursive: true, force: true });
});

// Deadlines, not measurements: each wait ends as soon as what it waits for is there.
const JOB_DEADLINE_MS = 30_000;
const DRAIN_DEADLINE_SECONDS = 20;
const SETTLES = { timeout: 15_000 };
const TEST_TIMEOUT_MS = 90_000;

/**
 * Everything on a queue, as the SQS event a Lambda event source would hand over: receives until
 * at least `expected` messages are in hand (or the deadline passes), then until a receive finds
 * nothing more, so that a message sent a little late is waited for rather than missed.
 */
async function drainToEvent(logical: string, expected = 1): Promise<SQSEvent> {
  const url = fixture.queueUrl(logical);
  const messages: Message[] = [];
  const deadline = Date.now() + DRAIN_DEADLINE_SECONDS * 1000;
  for (;;) {
    const received = await fixture.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }),
    );
    messages.push(...(received.Messages ?? []));
    if (messages.length >= expected && (received.Messages ?? []).length === 0) break;
    if (Date.now() > deadline) break;
  }
  // The event source deletes what the function did not report as failed; so does this helper.
  for (const message of messages) await fixture.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }));
  return {
    Records: messages.map((message) => ({
      messageId: message.MessageId!,
      receiptHandle: message.ReceiptHandle!,
      body: message.Body!,
      attributes: {
        ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: message.Attributes?.SentTimestamp ?? String(Date.now()),
        SenderId: message.Attributes?.SenderId ?? 'test',
        ApproximateFirstReceiveTimestamp: message.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:us-east-1:123456789012:${fixture.queuePrefix}${logical}`,
      awsRegion: 'us-east-1',
    })),
  };
}

async function visibleMessages(logical: string): Promise<number> {
  const attributes = await fixture.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: fixture.queueUrl(logical), AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

describe('the cloud composition', () => {
  it('submit through the Lambda API -> SQS -> worker -> S3 -> Ready, and the sample downloads', async () => {
    const input = await pngImage({ width: 640, height: 480, seed: 5 });
    const submitted = await api.submit({ prompt: 'make it dusk', input_image: input.toString('base64'), seed: 7 });
    expect(submitted.status).toBe(200);
    expect(submitted.body.polling_url).toBe(`https://api.kontext.test/v1/get_result?id=${submitted.body.id}`);

    const result = await api.waitForResult(submitted.body.id, { timeoutMs: JOB_DEADLINE_MS });
    expect(result).toMatchObject({ status: 'Ready', details: { engine: 'preview-cpu/1', status: 'succeeded' } });
    // A presigned S3 URL, fetched like any client would.
    const sample = new URL(result.result!.sample!);
    expect(sample.searchParams.get('X-Amz-Signature')).toBeTruthy();
    const download = await fetch(sample);
    expect(download.status).toBe(200);
    const metadata = await sharp(Buffer.from(await download.arrayBuffer())).metadata();
    expect({ format: metadata.format, width: metadata.width, height: metadata.height }).toEqual({
      format: 'png',
      width: result.details!.width,
      height: result.details!.height,
    });

    // Input, output and thumbnail are objects under the tenant's prefix; the jobs queue is empty.
    const listed = await fixture.s3.send(new ListObjectsV2Command({ Bucket: fixture.bucket, Prefix: 'tenants/' }));
    const keys = (listed.Contents ?? []).map((object) => object.Key!);
    expect(keys.some((key) => /\/inputs\/[0-9a-f]{64}\.png$/.test(key))).toBe(true);
    expect(keys.some((key) => key.includes(`/outputs/${submitted.body.id}/1.png`))).toBe(true);
    expect(keys.some((key) => key.includes(`/outputs/${submitted.body.id}/1.thumb.jpg`))).toBe(true);
    // The worker acks the job's message after it records the result: poll until it has.
    await expect.poll(() => visibleMessages('jobs-kontext-dev'), SETTLES).toBe(0);

    // The handler saw real HTTP API v2 events.
    const event = bridge.events.find((e) => e.rawPath === '/v1/flux-kontext-dev');
    expect(event).toMatchObject({ version: '2.0', routeKey: '$default', requestContext: { http: { method: 'POST' } } });
  }, TEST_TIMEOUT_MS);

  it('the worker container upsamples a prompt that asks for it, through its own settings, and the job shows it', async () => {
    const prompt = 'a cabin in the pines';
    const submitted = await api.submit({ prompt, seed: 11, prompt_upsampling: true });
    expect(submitted.status).toBe(200);

    const result = await api.waitForResult(submitted.body.id, { timeoutMs: JOB_DEADLINE_MS });
    expect(result).toMatchObject({
      status: 'Ready',
      result: { prompt },
      details: { prompt_upsampling: 'applied', upsampled_prompt: detailedPromptFor(prompt) },
    });
    const requests = upsampler.requestsFor(prompt);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.headers.authorization).toBe(`Bearer ${CLOUD_UPSAMPLER_KEY}`);
    // It names the upsampler when it starts, by origin and model, and never its key.
    expect(worker.output()).toContain(`"promptUpsampler":"${upsampler.url('')} (detail-writer-1)"`);
    expect(worker.output()).not.toContain(CLOUD_UPSAMPLER_KEY);
  }, TEST_TIMEOUT_MS);

  it('the API bundle serves its OpenAPI document and the Swagger UI files shipped beside it', async () => {
    const openapi = await api.request<{ servers: { url: string }[] }>('GET', '/openapi.json');
    // Read at the bridge's host, not the public one: that host first, for "Try it out" (https, as
    // API Gateway's events say, whatever the bridge speaks).
    expect(openapi.body.servers.map((server) => server.url)).toEqual([`https://${new URL(bridge.url).host}`, 'https://api.kontext.test']);
    const css = await api.request('GET', '/docs/assets/swagger-ui.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toContain('text/css');
  });

  it('the API bundle refuses a bad request with the field at fault (zod, bundled with English messages only)', async () => {
    const refused = await api.request<{ status: number; errors: { field: string; message: string }[] }>('POST', '/v1/flux-kontext-dev', {
      json: { prompt: 'x', steps: 'many' },
    });
    expect(refused.status).toBe(422);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'steps', message: expect.stringMatching(/number/i) })]);
  });

  it('the worker container answers its health check', async () => {
    const health = await fetch(`http://127.0.0.1:${healthPort}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ready', engine: 'preview-cpu/1', loops: 1, loopsRunning: 1 });
  });

  it('webhooks go through the webhooks queue to the dispatcher Lambda, signed, once, and retried by a delayed message', async () => {
    const created = await api.request<{ id: string; secret: string }>('POST', '/v1/webhooks/endpoints', {
      json: { url: receiver.url('/cloud'), events: ['job.succeeded'] },
    });
    expect(created.status).toBe(201);
    // The first attempt fails, so the retry path runs too.
    receiver.script('/cloud', (_request, count) => ({ status: count === 1 ? 503 : 200 }));

    const submitted = await api.submit({ prompt: 'notify me', seed: 3 });
    expect((await api.waitForResult(submitted.body.id, { timeoutMs: JOB_DEADLINE_MS })).status).toBe('Ready');

    // The worker relayed the delivery right after completing the job.
    const first = await drainToEvent('webhooks');
    expect(first.Records).toHaveLength(1);
    expect(await dispatch(first)).toEqual({ batchItemFailures: [] });
    expect(receiver.on('/cloud')).toHaveLength(1);

    // A duplicate of the same message delivers nothing: its token was spent.
    expect(await dispatch(first)).toEqual({ batchItemFailures: [] });
    expect(receiver.on('/cloud')).toHaveLength(1);

    // The retry is a delayed message (5 s +-10%), not a wait for maintenance.
    const retry = await drainToEvent('webhooks');
    expect(retry.Records).toHaveLength(1);
    expect(await dispatch(retry)).toEqual({ batchItemFailures: [] });
    const [failed, delivered] = receiver.on('/cloud');
    expect(delivered!.headers['webhook-id']).toBe(failed!.headers['webhook-id']);
    const verified = new Webhook(created.body.secret).verify(delivered!.body, delivered!.headers as Record<string, string>);
    expect(verified).toMatchObject({ type: 'job.succeeded', id: submitted.body.id, status: 'Ready' });
  }, TEST_TIMEOUT_MS);

  it('maintenance relays a delivery whose queue message was lost, once its claim lapses', async () => {
    await api.request('POST', '/v1/webhooks/endpoints', { json: { url: receiver.url('/lost'), events: ['job.succeeded'] } });
    const endpoints = (await api.request<{ data: unknown[] }>('GET', '/v1/webhooks/endpoints')).body.data.length;
    const submitted = await api.submit({ prompt: 'lost message', seed: 5 });
    expect((await api.waitForResult(submitted.body.id, { timeoutMs: JOB_DEADLINE_MS })).status).toBe('Ready');
    // Every endpoint got a relay; drop them all, as if the sends had been lost.
    const lost = await drainToEvent('webhooks', endpoints);
    expect(lost.Records).toHaveLength(endpoints);
    // Claims lapse by the clock (2 s here); a slower machine only waits further past the lapse.
    await sleep(2500);

    expect((await maintain()).passes).toBeGreaterThanOrEqual(1);
    const relayed = await drainToEvent('webhooks', lost.Records.length);
    expect(relayed.Records).toHaveLength(lost.Records.length);
    // The lost messages' tokens are void; only the relayed ones deliver.
    expect(await dispatch(lost)).toEqual({ batchItemFailures: [] });
    expect(receiver.on('/lost')).toHaveLength(0);
    expect(await dispatch(relayed)).toEqual({ batchItemFailures: [] });
    expect(receiver.on('/lost')).toHaveLength(1);
  }, TEST_TIMEOUT_MS);

  it('live status through the gateway is a bounded stream that tells the client to reconnect', async () => {
    const submitted = await api.submit({ prompt: 'stream me' });
    await api.waitForResult(submitted.body.id, { timeoutMs: JOB_DEADLINE_MS });
    const response = await api.request('GET', `/v1/jobs/${submitted.body.id}/events`);
    expect(response.status).toBe(200);
    expect(response.text).toMatch(/^retry: 500\n\n/);
    expect(response.text).toContain('event: status');
    expect(response.text).toContain('"status":"succeeded"');
  }, TEST_TIMEOUT_MS);

  it('the worker hands nothing back on SIGTERM when idle and exits cleanly', async () => {
    worker.child.kill('SIGTERM');
    const exit = await worker.exited;
    expect(exit.code).toBe(0);
    expect(worker.output()).toContain('worker stopping');
  });
});
