import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineHealth } from '../src/engine.ts';
import { startHealthServer, workerHealth, type WorkerHealth } from '../src/health-server.ts';

// The container health check's answers, over real HTTP.

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

function engineIn(state: EngineHealth) {
  return { id: 'kontext-diffusers/1', health: () => state };
}

describe('workerHealth', () => {
  const running = [{ running: true }, { running: true }];

  it('is ready only when the engine is ready and every loop runs', () => {
    expect(workerHealth(engineIn({ state: 'ready' }), running, false)).toEqual({ status: 'ready', engine: 'kontext-diffusers/1', loops: 2, loopsRunning: 2 });
  });

  it('is starting while the model loads, and draining after SIGTERM', () => {
    expect(workerHealth(engineIn({ state: 'loading' }), running, false).status).toBe('starting');
    expect(workerHealth(engineIn({ state: 'ready' }), running, true).status).toBe('draining');
  });

  it('fails on a failed engine or a dead loop, so the orchestrator replaces the task', () => {
    expect(workerHealth(engineIn({ state: 'failed', message: 'CUDA out of memory' }), running, false)).toMatchObject({
      status: 'failed',
      detail: 'CUDA out of memory',
    });
    expect(workerHealth(engineIn({ state: 'ready' }), [{ running: true }, { running: false }], false)).toMatchObject({
      status: 'failed',
      detail: 'a receive loop stopped',
      loopsRunning: 1,
    });
  });
});

describe('the health endpoint', () => {
  it('answers 200 when ready and 503 otherwise, with the state as JSON; nothing else is served', async () => {
    let current: WorkerHealth = { status: 'starting', engine: 'e', loops: 1, loopsRunning: 0 };
    server = await startHealthServer(0, () => current);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    let response = await fetch(`${base}/health`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual(current);

    current = { status: 'ready', engine: 'e', loops: 1, loopsRunning: 1 };
    response = await fetch(`${base}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ready' });

    expect((await fetch(`${base}/other`)).status).toBe(404);
    expect((await fetch(`${base}/health`, { method: 'POST' })).status).toBe(404);
  });
});
