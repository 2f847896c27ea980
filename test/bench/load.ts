import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// Load generation in a separate process, so the load generator and the server under test do not
// share an event loop: autocannon's CLI for closed-loop throughput, open-loop.ts for fixed rates.

export interface LoadResult {
  requests: number;
  durationSeconds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  non2xx: number;
  errors: number;
}

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  durationSeconds: number;
  /** Fixed offered rate across all connections; omit to go as fast as possible. */
  overallRate?: number;
}

const autocannon = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const args = [autocannon, '-j', '-c', String(options.connections), '-d', String(options.durationSeconds), '-m', options.method ?? 'GET'];
  for (const [key, value] of Object.entries(options.headers ?? {})) args.push('-H', `${key}=${value}`);
  if (options.body !== undefined) args.push('-b', options.body);
  if (options.overallRate !== undefined) args.push('-R', String(options.overallRate));
  args.push(options.url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}: ${stderr}`));
      const report = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
        requests: { total: number; average: number };
        duration: number;
        latency: { p50: number; p90: number; p99: number; max: number };
        non2xx: number;
        errors: number;
      };
      resolve({
        requests: report.requests.total,
        durationSeconds: report.duration,
        requestsPerSecond: report.requests.total / report.duration,
        latencyMs: { p50: report.latency.p50, p90: report.latency.p90, p99: report.latency.p99, max: report.latency.max },
        non2xx: report.non2xx,
        errors: report.errors,
      });
    });
  });
}

export interface OpenLoopResult {
  requests: number;
  achievedRate: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  statuses: Record<string, number>;
  errors: number;
}

/** Fixed-rate, evenly spaced arrivals from a separate process; latency counted from each scheduled start. */
export function runOpenLoop(options: { url: string; method?: string; headers?: Record<string, string>; body?: string; rate: number; durationSeconds: number }): Promise<OpenLoopResult> {
  const script = fileURLToPath(new URL('./open-loop.ts', import.meta.url));
  const payload = JSON.stringify({ method: 'GET', headers: {}, ...options });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, payload], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`open-loop generator exited with ${code}: ${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as OpenLoopResult);
    });
  });
}
