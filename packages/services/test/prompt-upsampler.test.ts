import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { MAX_PROMPT_CHARS } from '@kontext/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { OpenAiCompatibleUpsampler, type OpenAiCompatibleUpsamplerOptions } from '../src/prompts/openai-compatible-upsampler.ts';
import { PromptUpsamplingError, type PromptUpsamplingFailure } from '../src/prompts/prompt-upsampler.ts';
import { readUpsampledPrompt } from '../src/prompts/read-upsampled-prompt.ts';

// The upsampler adapter: how an answer is read (every way it can be unusable), and what it sends
// to and accepts from a real HTTP server on 127.0.0.1.

const KEY = `sk-unit-${'u'.repeat(32)}`;

function completion(content: unknown, finishReason: string | null = 'stop'): string {
  return JSON.stringify({ id: 'c', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason }] });
}

function failureOf(run: () => unknown): PromptUpsamplingError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PromptUpsamplingError);
    return error as PromptUpsamplingError;
  }
  throw new Error('expected a PromptUpsamplingError');
}

async function rejectionOf(promise: Promise<unknown>): Promise<PromptUpsamplingError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(PromptUpsamplingError);
  return outcome as PromptUpsamplingError;
}

describe('reading the answer', () => {
  it('takes choices[0].message.content, trimmed', () => {
    expect(readUpsampledPrompt(completion('\n  A lighthouse at dusk, warm light.  \n'))).toBe('A lighthouse at dusk, warm light.');
  });

  it('drops quotes around the whole answer, but keeps quotes that belong to the prompt', () => {
    expect(readUpsampledPrompt(completion(' "A lighthouse at dusk." '))).toBe('A lighthouse at dusk.');
    expect(readUpsampledPrompt(completion('\u201cA lighthouse at dusk.\u201d'))).toBe('A lighthouse at dusk.');
    expect(readUpsampledPrompt(completion('"OPEN" painted on the sign, the shop "Bo\'s"'))).toBe('"OPEN" painted on the sign, the shop "Bo\'s"');
  });

  it("drops a reasoning model's leading thoughts", () => {
    expect(readUpsampledPrompt(completion('<think>The user wants detail.</think>\nA lighthouse at dusk.'))).toBe('A lighthouse at dusk.');
  });

  it('counts the length in code points, as a client prompt is counted', () => {
    const longest = '\u{1F30A}'.repeat(MAX_PROMPT_CHARS);
    expect(readUpsampledPrompt(completion(longest))).toBe(longest);
    expect(failureOf(() => readUpsampledPrompt(completion(`${longest}x`))).message).toBe(`the upsampled prompt must be at most ${MAX_PROMPT_CHARS} characters`);
  });

  it.each<[string, string, RegExp]>([
    ['not JSON', '<html>Bad Gateway</html>', /other than JSON/],
    ['a truncated JSON document', completion('A lighthouse').slice(0, 40), /other than JSON/],
    ['JSON that is not a completion', '{"error":{"message":"model not found"}}', /not a chat completion \(choices:/],
    ['no choices', '{"choices":[]}', /not a chat completion \(choices:/],
    ['null content (a refusal)', completion(null), /not a chat completion \(choices\.0\.message\.content:/],
    ['empty content', completion(''), /^the upsampled prompt must not be empty$/],
    ['blank content', completion(' \n\t\u3000 '), /^the upsampled prompt must not be empty$/],
    ['empty quotes', completion('""'), /^the upsampled prompt must not be empty$/],
    ['only thoughts', completion('<think>hmm</think>'), /^the upsampled prompt must not be empty$/],
    ['a NUL character', completion('A light\u0000house'), /must not contain NUL/],
    ['an answer cut off by the token limit', completion('A lighthouse at', 'length'), /cut off/],
  ])('refuses %s as a bad answer', (_label, body, message) => {
    const error = failureOf(() => readUpsampledPrompt(body));
    expect(error.reason).toBe('bad_answer');
    expect(error.message).toMatch(message);
  });
});

interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A server on 127.0.0.1 that records each request and answers as `answer` says; closed after the test. */
async function startServer(answer: (request: Received, response: http.ServerResponse) => void): Promise<{ base: string; received: Received[] }> {
  const received: Received[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = { method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(entry);
      answer(entry, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

function upsampler(base: string, overrides: Partial<OpenAiCompatibleUpsamplerOptions> = {}): OpenAiCompatibleUpsampler {
  return new OpenAiCompatibleUpsampler({
    url: `${base}/v1/`,
    model: 'writer-7b',
    apiKey: KEY,
    timeoutSeconds: 5,
    allowPrivateNetworks: true,
    maxResponseBytes: 4096,
    ...overrides,
  });
}

const signal = () => new AbortController().signal;

describe('the OpenAI-compatible adapter', () => {
  it('posts a chat completion to <url>/chat/completions with the key as a Bearer token, and returns the prompt', async () => {
    const server = await startServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(completion('A detailed lighthouse.')));
    const prompt = await upsampler(server.base).upsample({ prompt: 'a lighthouse', task: 'generate' }, { signal: signal() });

    expect(prompt).toBe('A detailed lighthouse.');
    const [request] = server.received;
    expect(request).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
    expect(request?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(request?.headers['content-type']).toBe('application/json');
    const body: unknown = JSON.parse(request?.body ?? '');
    expect(body).toMatchObject({
      model: 'writer-7b',
      stream: false,
      messages: [
        { role: 'system', content: expect.stringContaining('Answer with the rewritten prompt only') },
        { role: 'user', content: 'Text-to-image prompt:\na lighthouse' },
      ],
    });
  });

  it('labels an edit as an edit instruction, and sends no Authorization header without a key', async () => {
    const server = await startServer((_request, response) => response.writeHead(200).end(completion('Make the sky stormy; keep the rest.')));
    await upsampler(server.base, { apiKey: undefined }).upsample({ prompt: 'make the sky stormy', task: 'edit' }, { signal: signal() });
    expect(server.received[0]?.headers.authorization).toBeUndefined();
    expect(server.received[0]?.body).toContain('Edit instruction for the input image:\\nmake the sky stormy');
  });

  it.each<[string, (response: http.ServerResponse) => void, PromptUpsamplingFailure, RegExp]>([
    ['an HTTP error, without echoing its body (it may quote the key)', (response) => response.writeHead(401).end(`{"error":"bad key ${KEY}"}`), 'http_status', /^the upsampler answered HTTP 401$/],
    ['an answer larger than the limit', (response) => response.writeHead(200).end(completion('x'.repeat(5000))), 'bad_answer', /larger than 4096 bytes/],
    ['an unusable answer', (response) => response.writeHead(200).end(completion('   ')), 'bad_answer', /must not be empty/],
  ])('fails on %s', async (_label, answer, reason, message) => {
    const server = await startServer((_request, response) => answer(response));
    const error = await rejectionOf(upsampler(server.base).upsample({ prompt: 'p', task: 'generate' }, { signal: signal() }));
    expect(error.reason).toBe(reason);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain(KEY);
  });

  it('refuses a loopback endpoint before connecting unless private networks are allowed', async () => {
    const server = await startServer((_request, response) => response.writeHead(200).end(completion('never read')));
    const error = await rejectionOf(upsampler(server.base, { allowPrivateNetworks: false }).upsample({ prompt: 'p', task: 'generate' }, { signal: signal() }));
    expect(error.reason).toBe('refused_target');
    expect(error.message).toContain('ALLOW_PRIVATE_PROMPT_UPSAMPLER');
    expect(server.received).toEqual([]);
  });

  it('gives up at the timeout', { timeout: 15_000 }, async () => {
    const server = await startServer(() => {
      // Never answers.
    });
    const error = await rejectionOf(upsampler(server.base, { timeoutSeconds: 0.3 }).upsample({ prompt: 'p', task: 'generate' }, { signal: signal() }));
    expect(error.reason).toBe('timeout');
    expect(server.received).toHaveLength(1);
  });

  it("stops when the caller's signal aborts (the job was canceled)", { timeout: 15_000 }, async () => {
    const controller = new AbortController();
    const server = await startServer(() => controller.abort('job canceled'));
    const error = await rejectionOf(upsampler(server.base, { timeoutSeconds: 10 }).upsample({ prompt: 'p', task: 'generate' }, { signal: controller.signal }));
    expect(error.reason).toBe('aborted');
  });

  it('describes itself by origin and model, and shows its key to no dump of it', () => {
    const adapter = upsampler('https://llm.example:8443', { url: 'https://llm.example:8443/openai/v1' });
    expect(adapter.description).toBe('https://llm.example:8443 (writer-7b)');
    expect(JSON.stringify(adapter)).not.toContain(KEY);
    expect(inspect(adapter, { depth: 5 })).not.toContain(KEY);
  });
});
