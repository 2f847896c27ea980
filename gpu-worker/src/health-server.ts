import { createServer, type Server } from 'node:http';
import type { Engine } from './engine.ts';

export interface WorkerHealth {
  status: 'ready' | 'starting' | 'draining' | 'failed';
  engine: string;
  detail?: string;
  loops: number;
  loopsRunning: number;
}

/**
 * What the container's health check asks: ready only when the engine can predict and every
 * receive loop runs. Starting (model loading) and draining (SIGTERM) are not ready; a failed
 * engine or a dead loop is, so the orchestrator replaces the task.
 */
export function workerHealth(engine: Pick<Engine, 'id' | 'health'>, agents: readonly { running: boolean }[], draining: boolean): WorkerHealth {
  const engineHealth = engine.health();
  const loopsRunning = agents.filter((agent) => agent.running).length;
  const base = { engine: engine.id, loops: agents.length, loopsRunning };
  if (engineHealth.state === 'failed') return { ...base, status: 'failed', detail: engineHealth.message };
  if (draining) return { ...base, status: 'draining' };
  if (engineHealth.state === 'loading' || agents.length === 0) return { ...base, status: 'starting' };
  if (loopsRunning < agents.length) return { ...base, status: 'failed', detail: 'a receive loop stopped' };
  return { ...base, status: 'ready' };
}

/** GET /health on loopback: 200 when ready, 503 otherwise, with the state as JSON. */
export function startHealthServer(port: number, health: () => WorkerHealth): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/health') {
      response.writeHead(404).end();
      return;
    }
    const current = health();
    response.writeHead(current.status === 'ready' ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(current));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
