import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLocalConfig, startEmbeddedPostgres, startLocalPlatform } from '@kontext/local';
import { Kontext } from '@kontext/sdk';
import { silentLogger } from '@kontext/services';
import sharp from 'sharp';
import { ApiClient } from '../harness/api-client.ts';
import { REPO_ROOT } from '../harness/processes.ts';
import { describeMachine, quantile, reportResults, round, sized } from './report.ts';

// `npm run bench` part 5, what a client sees:
//   sdkWait: a text-to-image job's end-to-end time (submit sent -> result with its sample URL in
//   hand) through the SDK's `generate` + `wait`, against a raw client that submits with fetch and
//   reads the job's SSE stream to its terminal event, BENCH_WAIT_JOBS (default 30) each,
//   alternating; with the median round trip of one poll (GET /v1/get_result) as the unit the
//   difference is measured in;
//   uploadMemory: one ~20 MB PNG submitted as multipart/form-data and as JSON (base64), each to an
//   API process of its own after a small warm-up upload of the same kind: the process's peak
//   resident set size during the upload less its resident set just before (Linux), BENCH_UPLOAD_RUNS
//   (default 5) each.

const WAIT_JOBS = Number(process.env.BENCH_WAIT_JOBS ?? sized(30, 2));
const UPLOAD_RUNS = Number(process.env.BENCH_UPLOAD_RUNS ?? sized(5, 1));
/** 2560 x 2560 RGB of noise, stored uncompressed: 19.7 MB, just under the 20 MB image limit. */
const UPLOAD_SIDE = sized(2560, 128);

type UploadMode = 'multipart' | 'json';

interface ServerReady {
  url: string;
  adminToken: string;
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'kontext-bench-client-'));
  await chmod(root, 0o711);
  const database = await startEmbeddedPostgres({ directory: join(root, 'pg'), database: 'bench', ephemeral: true });
  const results: Record<string, unknown> = { machine: describeMachine() };
  try {
    process.stdout.write('1/2 SDK wait against a raw SSE client...\n');
    results.sdkWait = await measureSdkWait(database.url, root);
    process.stdout.write('2/2 upload memory...\n');
    results.uploadMemory = await measureUploadMemory(database.url, root);
  } finally {
    await database.stop();
    await rm(root, { recursive: true, force: true });
  }
  await reportResults('client', results);
}

async function measureSdkWait(databaseUrl: string, root: string): Promise<Record<string, unknown>> {
  const platform = await startLocalPlatform({
    config: loadLocalConfig({ DATABASE_URL: databaseUrl, DATA_DIR: join(root, 'wait'), PORT: '0', WORKER_LOOPS: '2', LOG_LEVEL: 'error' }),
    log: silentLogger,
  });
  try {
    const admin = new ApiClient(platform.url, platform.adminToken, 'admin');
    const tenant = (await admin.request<{ id: string }>('POST', '/admin/v1/tenants', {
      json: { name: 'wait', credits: 1_000_000_000, limits: { max_active_jobs: 1000, requests_per_minute_per_key: 1_000_000 } },
    })).body;
    const key = (await admin.request<{ key: string }>('POST', `/admin/v1/tenants/${tenant.id}/keys`, { json: { name: 'bench' } })).body.key;
    const sdk = new Kontext({ apiKey: key, baseUrl: platform.url });
    const request = { prompt: 'a lighthouse at dusk', steps: 4, aspect_ratio: '1:1' };
    // Warm-up of both paths: connections, JIT, the first job of each worker loop.
    await rawSseJob(platform.url, key, request);
    await (await sdk.generate(request)).wait();

    const raw: number[] = [];
    const viaSdk: number[] = [];
    const roundTrips: number[] = [];
    for (let i = 0; i < WAIT_JOBS; i++) {
      let started = performance.now();
      const id = await rawSseJob(platform.url, key, request);
      raw.push(performance.now() - started);
      started = performance.now();
      const result = await (await sdk.generate(request)).wait();
      viaSdk.push(performance.now() - started);
      if (!result.result?.sample) throw new Error(`job ${result.id} ended without a sample`);
      started = performance.now();
      const poll = await fetch(`${platform.url}/v1/get_result?id=${id}`, { headers: { 'x-key': key } });
      await poll.arrayBuffer();
      roundTrips.push(performance.now() - started);
    }
    const rawMedian = quantile(raw, 0.5);
    const sdkMedian = quantile(viaSdk, 0.5);
    const roundTrip = quantile(roundTrips, 0.5);
    return {
      jobs: WAIT_JOBS,
      rawSseMs: { p50: round(rawMedian), p95: round(quantile(raw, 0.95)) },
      sdkWaitMs: { p50: round(sdkMedian), p95: round(quantile(viaSdk, 0.95)) },
      pollRoundTripMs: { p50: round(roundTrip) },
      sdkOverheadMs: round(sdkMedian - rawMedian),
      sdkOverheadInRoundTrips: round((sdkMedian - rawMedian) / roundTrip),
    };
  } finally {
    await platform.stop();
  }
}

/**
 * The raw client: one submit with fetch, then the job's event stream read until its terminal
 * status event, whose `result` carries the sample URL. Returns the job id.
 */
async function rawSseJob(url: string, key: string, request: Record<string, unknown>): Promise<string> {
  const submitted = await fetch(`${url}/v1/flux-kontext-dev`, {
    method: 'POST',
    headers: { 'x-key': key, 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  const { id } = (await submitted.json()) as { id: string };
  const stream = await fetch(`${url}/v1/jobs/${id}/events`, { headers: { 'x-key': key, accept: 'text/event-stream' } });
  if (!stream.body) throw new Error('the event stream has no body');
  const decoder = new TextDecoder();
  const reader = stream.body.getReader();
  let buffered = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const event = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const data = event.split('\n').find((line) => line.startsWith('data: '));
      if (!event.includes('event: status') || !data) continue;
      const status = JSON.parse(data.slice('data: '.length)) as { status: string; result?: { sample?: string } | null };
      if (status.status === 'succeeded' && status.result?.sample) {
        await reader.cancel();
        return id;
      }
      if (status.status === 'failed' || status.status === 'canceled') throw new Error(`job ${id} ${status.status}`);
    }
  }
  throw new Error(`the stream of job ${id} ended before its terminal event`);
}

async function measureUploadMemory(databaseUrl: string, root: string): Promise<Record<string, unknown>> {
  const image = await noisePng(UPLOAD_SIDE);
  const warmUp = await noisePng(64);
  const deltas: Record<UploadMode, number[]> = { multipart: [], json: [] };
  for (let run = 0; run < UPLOAD_RUNS; run++) {
    // Alternating, so a drift of the machine during the runs falls on both.
    for (const mode of ['multipart', 'json'] as const) {
      deltas[mode].push(await uploadOnce(mode, image, warmUp, databaseUrl, join(root, `${mode}-${run}`)));
    }
  }
  const mib = (bytes: number) => round(bytes / 2 ** 20, 1);
  return {
    imageBytes: image.length,
    runs: UPLOAD_RUNS,
    multipartPeakRssGrowthMiB: { median: mib(quantile(deltas.multipart, 0.5)), all: deltas.multipart.map(mib) },
    jsonPeakRssGrowthMiB: { median: mib(quantile(deltas.json, 0.5)), all: deltas.json.map(mib) },
  };
}

/** The growth of a fresh API process's peak RSS caused by one upload of `image` sent as `mode`. */
async function uploadOnce(mode: UploadMode, image: Buffer, warmUp: Buffer, databaseUrl: string, dataDir: string): Promise<number> {
  const child = fork(join(REPO_ROOT, 'test', 'bench', 'upload-server.ts'), [databaseUrl, dataDir], {
    // --expose-gc: the peak is reset after a full collection, so garbage from before does not count.
    execArgv: ['--expose-gc', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const ready = await nextMessage<ServerReady>(child);
    const admin = new ApiClient(ready.url, ready.adminToken, 'admin');
    const tenant = (await admin.request<{ id: string }>('POST', '/admin/v1/tenants', { json: { name: `upload ${mode}`, credits: 1_000_000 } })).body;
    const key = (await admin.request<{ key: string }>('POST', `/admin/v1/tenants/${tenant.id}/keys`, { json: { name: 'bench' } })).body.key;
    await submit(ready.url, key, mode, warmUp);
    const before = (await ask<{ rssBytes: number }>(child, 'reset-peak')).rssBytes;
    await submit(ready.url, key, mode, image);
    const peak = (await ask<{ peakRssBytes: number }>(child, 'peak-rss')).peakRssBytes;
    return peak - before;
  } finally {
    child.send({ ask: 'stop' });
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

async function submit(url: string, key: string, mode: UploadMode, image: Buffer): Promise<void> {
  let body: NonNullable<RequestInit['body']>;
  const headers: Record<string, string> = { 'x-key': key };
  if (mode === 'multipart') {
    const form = new FormData();
    form.append('prompt', 'upload');
    form.append('input_image', new Blob([image], { type: 'image/png' }), 'photo.png');
    body = form;
  } else {
    body = JSON.stringify({ prompt: 'upload', input_image: image.toString('base64') });
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${url}/v1/flux-kontext-dev`, { method: 'POST', headers, body });
  if (response.status !== 200) throw new Error(`${mode} upload answered ${response.status}: ${await response.text()}`);
}

async function noisePng(side: number): Promise<Buffer> {
  return sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
}

function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message as T));
    child.once('exit', (code) => reject(new Error(`the upload server exited with ${code}`)));
  });
}

function ask<T>(child: ChildProcess, question: 'reset-peak' | 'peak-rss'): Promise<T> {
  const answer = nextMessage<T>(child);
  child.send({ ask: question });
  return answer;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
