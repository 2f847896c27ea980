import { describe, expect } from 'vitest';
import { test } from '../../../test/harness/fixtures.ts';
import { Kontext, KontextApiError, type Credits, type JobProgress } from '../src/index.ts';
import { parseRetryAfter } from '../src/retry.ts';

// What the SDK does when the network or the server gets in the way, against the real platform:
// fetch wrappers drop answers, cut streams and serve what a gateway would, and record what the
// SDK sent and when, so each test asserts on the requests themselves, not on how long it took.

test.override({ platformOptions: { stepDelayMs: 60, workerLoops: 1 } });

const SLOW = 60_000;

type FetchInput = Parameters<typeof fetch>[0];
type FetchInit = Parameters<typeof fetch>[1];

function headerOf(init: FetchInit, name: string): string | null {
  return new Headers(init?.headers).get(name);
}

const pathOf = (input: FetchInput) => new URL(input instanceof Request ? input.url : String(input)).pathname;

interface Exchange {
  method: string;
  path: string;
  sentAt: number;
  receivedAt: number;
  status: number;
  retryAfter: string | null;
  idempotencyKey: string | null;
  lastEventId: string | null;
  replayed: string | null;
}

/** A fetch that records every exchange, and lets a test answer some requests itself. */
function recordingFetch(intercept?: (input: FetchInput, init: FetchInit, exchanges: Exchange[]) => Promise<Response | undefined> | Response | undefined) {
  const exchanges: Exchange[] = [];
  const wrapped: typeof fetch = async (input, init) => {
    const sentAt = Date.now();
    const response = (await intercept?.(input, init, exchanges)) ?? (await fetch(input, init));
    exchanges.push({
      method: init?.method ?? 'GET',
      path: pathOf(input),
      sentAt,
      receivedAt: Date.now(),
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      idempotencyKey: headerOf(init, 'idempotency-key'),
      lastEventId: headerOf(init, 'last-event-id'),
      replayed: response.headers.get('idempotent-replayed'),
    });
    return response;
  };
  return { fetch: wrapped, exchanges };
}

const clientFor = (platform: { url: string }, key: string, fetchFunction: typeof fetch, maxRetries = 3) =>
  new Kontext({ apiKey: key, baseUrl: platform.url, fetch: fetchFunction, maxRetries });

/** A network failure as Node's fetch reports one. */
const connectionReset = () => new TypeError('fetch failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) });

describe('idempotent retries', () => {
  test('an answer lost after the server took the submit: the retry carries the same Idempotency-Key, and there is one job', async ({ platform, tenant, sql }) => {
    let dropped = false;
    let lostKey: string | null = null;
    const recorder = recordingFetch(async (input, init) => {
      if (dropped || init?.method !== 'POST') return undefined;
      dropped = true;
      lostKey = headerOf(init, 'idempotency-key');
      // The request reaches the server and is carried out; its answer never reaches the SDK.
      const response = await fetch(input, init);
      await response.arrayBuffer();
      throw connectionReset();
    });
    const client = clientFor(platform, tenant.key, recorder.fetch);
    const job = await client.generate({ prompt: 'exactly once', steps: 1 });

    // The recorder sees only what came back: the replayed answer of the retry.
    const posts = recorder.exchanges.filter((exchange) => exchange.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ status: 200, replayed: 'true' });
    expect(lostKey).toMatch(/^sdk-/);
    expect(posts[0]!.idempotencyKey).toBe(lostKey);

    expect((await client.jobs.list()).data.map((listed) => listed.id)).toEqual([job.id]);
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM jobs WHERE tenant_id = ${tenant.tenantId}`;
    expect(row?.n).toBe(1);
    await job.wait();
    expect(await client.credits()).toEqual({ credits: 10_000 - 2, reserved: 0 });

    // Another call is another operation: a key of its own.
    await client.generate({ prompt: 'a second one', steps: 1 });
    const keys = recorder.exchanges.filter((exchange) => exchange.method === 'POST').map((exchange) => exchange.idempotencyKey);
    expect(new Set(keys).size).toBe(2);
  });

  test('the caller\'s own Idempotency-Key is used as given, on every attempt', async ({ platform, tenant }) => {
    const keys: (string | null)[] = [];
    const recorder = recordingFetch((_input, init) => {
      if (init?.method !== 'POST') return undefined;
      keys.push(headerOf(init, 'idempotency-key'));
      if (keys.length === 1) throw connectionReset();
      return undefined;
    });
    const client = clientFor(platform, tenant.key, recorder.fetch);
    const first = await client.generate({ prompt: 'order 66', steps: 1, idempotencyKey: 'order-66' });
    const again = await client.generate({ prompt: 'order 66', steps: 1, idempotencyKey: 'order-66' });
    expect(keys).toEqual(['order-66', 'order-66', 'order-66']);
    expect(again.id).toBe(first.id);
  });
});

describe('429 and 503', () => {
  test('over the key\'s real rate limit: the SDK waits at least Retry-After, then gets the answer', { timeout: SLOW }, async ({ platform }) => {
    // 10 a minute: a burst of 10, then one every 6 s, so the SDK's first request is surely still refused.
    const limited = await platform.createTenantWithKey({ limits: { requests_per_minute_per_key: 10 } });
    for (let i = 0; i < 30; i++) {
      if ((await limited.api.request('GET', '/v1/credits')).status === 429) break;
    }
    const recorder = recordingFetch();
    const client = clientFor(platform, limited.key, recorder.fetch);
    const credits: Credits = await client.credits();
    expect(credits).toEqual({ credits: 10_000, reserved: 0 });

    const [refused, ...rest] = recorder.exchanges;
    expect(refused).toMatchObject({ status: 429 });
    expect(Number(refused!.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(rest.at(-1)?.status).toBe(200);
    // Every request before the last was a refusal that said how long to wait; the delay the SDK
    // takes from that header is checked without a clock in retry.test.ts (retryDelayMs, parseRetryAfter).
    for (const before of recorder.exchanges.slice(0, -1)) {
      expect(before.status).toBe(429);
      expect(parseRetryAfter(before.retryAfter, before.receivedAt)).toBe(Number(before.retryAfter) * 1000);
    }
  });

  test('Retry-After as an HTTP date is honoured too', async ({ platform, tenant }) => {
    // Whole seconds, since an HTTP date has no finer resolution.
    const retryAt = Math.ceil((Date.now() + 1500) / 1000) * 1000;
    const recorder = recordingFetch((_input, _init, exchanges) =>
      exchanges.length === 0
        ? new Response(JSON.stringify({ type: 'urn:kontext:problem:rate-limited', title: 'Too many requests', status: 429, detail: 'slow down' }), {
            status: 429,
            headers: { 'content-type': 'application/problem+json', 'retry-after': new Date(retryAt).toUTCString() },
          })
        : undefined,
    );
    const client = clientFor(platform, tenant.key, recorder.fetch);
    expect((await client.models.list()).data.length).toBeGreaterThan(0);
    expect(recorder.exchanges.map((exchange) => exchange.status)).toEqual([429, 200]);
    // The header was read as a date (a wait until then), not ignored; how long is checked in retry.test.ts.
    expect(parseRetryAfter(new Date(retryAt).toUTCString(), recorder.exchanges[0]!.receivedAt)).toBeDefined();
  });

  test('without retries left, the 429 comes back typed with retryAfterSeconds; a wait over a minute is not waited', async ({ platform, tenant }) => {
    const tooMany = (retryAfter: string) =>
      new Response(JSON.stringify({ type: 'urn:kontext:problem:rate-limited', title: 'Too many requests', status: 429, detail: 'slow down', request_id: 'req_x' }), {
        status: 429,
        headers: { 'content-type': 'application/problem+json', 'retry-after': retryAfter },
      });
    const none = recordingFetch(() => tooMany('2'));
    const error = await clientFor(platform, tenant.key, none.fetch, 0).credits().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KontextApiError);
    expect(error).toMatchObject({ status: 429, retryAfterSeconds: 2, code: 'rate_limited', requestId: 'req_x', detail: 'slow down' });
    expect(none.exchanges).toHaveLength(1);

    const long = recordingFetch(() => tooMany('120'));
    expect(await clientFor(platform, tenant.key, long.fetch).credits().catch((caught: unknown) => caught)).toMatchObject({ status: 429, retryAfterSeconds: 120 });
    expect(long.exchanges).toHaveLength(1);
  });

  test('a 503 is retried with backoff; an abort during the wait ends the call at once', async ({ platform, tenant }) => {
    const unavailable = () =>
      new Response(JSON.stringify({ type: 'urn:kontext:problem:unavailable', title: 'Service unavailable', status: 503, detail: 'database down' }), {
        status: 503,
        headers: { 'content-type': 'application/problem+json' },
      });
    const flaky = recordingFetch((_input, _init, exchanges) => (exchanges.length < 2 ? unavailable() : undefined));
    expect(await clientFor(platform, tenant.key, flaky.fetch).credits()).toMatchObject({ credits: 10_000 });
    expect(flaky.exchanges.map((exchange) => exchange.status)).toEqual([503, 503, 200]);

    const controller = new AbortController();
    const reason = new Error('shutting down');
    const aborting = recordingFetch(() => {
      // The refusal arrives, and the caller gives up while the SDK waits 30 s to retry.
      queueMicrotask(() => controller.abort(reason));
      return new Response('{}', { status: 503, headers: { 'retry-after': '30', 'content-type': 'application/problem+json' } });
    });
    const call = clientFor(platform, tenant.key, aborting.fetch).credits({ signal: controller.signal });
    expect(await call.catch((caught: unknown) => caught)).toBe(reason);
    expect(aborting.exchanges).toHaveLength(1);
  });
});

describe('live status through a hostile network', () => {
  test('a stream cut after its first event is resumed with Last-Event-ID, and wait() still finishes', { timeout: SLOW }, async ({ platform, tenant }) => {
    let firstEventId: string | undefined;
    const recorder = recordingFetch(async (input, init, exchanges) => {
      if (!pathOf(input).endsWith('/events') || exchanges.some((exchange) => exchange.path.endsWith('/events'))) return undefined;
      const upstream = new AbortController();
      init?.signal?.addEventListener('abort', () => upstream.abort());
      const response = await fetch(input, { ...init, signal: upstream.signal });
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      let delivered = false;
      // Passes the stream through up to the end of its first event, then drops the connection.
      const cut = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (delivered) {
            // A read after the first event: the connection is gone (not earlier, or the error
            // would discard the event still queued for the reader).
            upstream.abort();
            controller.error(new TypeError('terminated'));
            return;
          }
          const end = text.indexOf('\n\n');
          if (end !== -1 && /^id: ?\d+$/m.test(text.slice(0, end))) {
            firstEventId = /^id: ?(\d+)$/m.exec(text.slice(0, end))?.[1];
            controller.enqueue(new TextEncoder().encode(text.slice(0, end + 2)));
            delivered = true;
            return;
          }
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            return;
          }
          text += decoder.decode(value, { stream: true });
        },
      });
      return new Response(cut, { status: response.status, headers: response.headers });
    });
    const client = clientFor(platform, tenant.key, recorder.fetch);
    const job = await client.generate({ prompt: 'a stream with a gap', steps: 6 });
    const seen: JobProgress[] = [];
    const result = await job.wait({ onProgress: (event) => seen.push(event) });
    expect(result.status).toBe('Ready');

    const streams = recorder.exchanges.filter((exchange) => exchange.path.endsWith('/events'));
    expect(streams.length).toBeGreaterThanOrEqual(2);
    expect(firstEventId).toMatch(/^\d+$/);
    expect(streams[0]!.lastEventId).toBeNull();
    expect(streams[1]!.lastEventId).toBe(firstEventId);
    // Nothing was polled: the resumed stream carried the rest.
    expect(recorder.exchanges.filter((exchange) => exchange.path === '/v1/get_result')).toHaveLength(1);
    expect(seen.map((event) => event.status)).toEqual(expect.arrayContaining(['queued', 'running', 'succeeded']));
  });

  const pollingCases: [string, () => Response][] = [
    ['answered 200 with JSON instead of a stream', () => new Response('{"note":"no streams here"}', { status: 200, headers: { 'content-type': 'application/json' } })],
    ['an event stream that ends before any event', () => new Response(': connected\n\n', { status: 200, headers: { 'content-type': 'text/event-stream' } })],
    ['a gateway error instead of a stream', () => new Response('bad gateway', { status: 502, headers: { 'content-type': 'text/plain' } })],
  ];
  for (const [name, answer] of pollingCases) {
    test(`events route ${name}: wait() polls get_result instead and finishes`, { timeout: SLOW }, async ({ platform, tenant }) => {
      const recorder = recordingFetch((input) => (pathOf(input).endsWith('/events') ? answer() : undefined));
      const client = clientFor(platform, tenant.key, recorder.fetch, 1);
      const job = await client.generate({ prompt: 'poll me', steps: 4 });
      const seen: JobProgress[] = [];
      const result = await job.wait({ onProgress: (event) => seen.push(event) });
      expect(result).toMatchObject({ id: job.id, status: 'Ready' });
      expect(seen.at(-1)).toBeDefined();
      // The stream was tried once (a 502 once more, as a retry), then get_result until Ready.
      const paths = recorder.exchanges.map((exchange) => exchange.path);
      expect(paths.filter((path) => path.endsWith('/events')).length).toBeLessThanOrEqual(2);
      expect(paths.filter((path) => path === '/v1/get_result').length).toBeGreaterThanOrEqual(1);
      expect(paths.at(-1)).toBe('/v1/get_result');
    });
  }

  test('a stream that cannot connect at all falls back to polling too', { timeout: SLOW }, async ({ platform, tenant }) => {
    const recorder = recordingFetch((input) => {
      if (pathOf(input).endsWith('/events')) throw connectionReset();
      return undefined;
    });
    const client = clientFor(platform, tenant.key, recorder.fetch, 1);
    const job = await client.generate({ prompt: 'no streams at all', steps: 2 });
    expect((await job.wait()).status).toBe('Ready');
    expect(recorder.exchanges.some((exchange) => exchange.path === '/v1/get_result')).toBe(true);
  });
});
