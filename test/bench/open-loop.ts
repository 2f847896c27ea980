import http from 'node:http';
import { sleep } from '@kontext/core';

// An open-loop load generator: requests start on a fixed schedule (rate per second, evenly
// spaced), whatever the server's latency, and each latency is measured from its scheduled start,
// so a slow server cannot hide queueing (no coordinated omission). Run as a child process:
//   node --import tsx open-loop.ts '<json options>'  ->  prints one JSON result line.

interface Options {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  rate: number;
  durationSeconds: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as Options;
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const target = new URL(options.url);
const latencies: number[] = [];
const statuses = new Map<number, number>();
let errors = 0;

function send(scheduledAt: number): Promise<void> {
  return new Promise((resolve) => {
    const request = http.request(
      { agent, host: target.hostname, port: target.port, path: target.pathname + target.search, method: options.method, headers: options.headers },
      (response) => {
        response.resume();
        response.on('end', () => {
          latencies.push(performance.now() - scheduledAt);
          statuses.set(response.statusCode ?? 0, (statuses.get(response.statusCode ?? 0) ?? 0) + 1);
          resolve();
        });
      },
    );
    request.on('error', () => {
      errors += 1;
      resolve();
    });
    request.end(options.body);
  });
}

const total = Math.round(options.rate * options.durationSeconds);
const interval = 1000 / options.rate;
const start = performance.now() + 50;
const inFlight: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  const scheduledAt = start + i * interval;
  // Timers are good to about a millisecond; latency is counted from the schedule, not the timer,
  // so late timer wake-ups count against the server, never in its favour.
  const wait = scheduledAt - performance.now();
  if (wait > 0) await sleep(wait);
  inFlight.push(send(scheduledAt));
}
await Promise.all(inFlight);
const elapsed = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const q = (p: number) => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN) * 100) / 100;
process.stdout.write(
  `${JSON.stringify({
    requests: latencies.length,
    achievedRate: Math.round(latencies.length / elapsed),
    latencyMs: { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: q(1) },
    statuses: Object.fromEntries(statuses),
    errors,
  })}\n`,
);
agent.destroy();
