import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// A real HTTP webhook receiver for tests: records every request (headers, raw body, time) and
// answers as the test scripts it, per path and per attempt.

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: number;
}

export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Hold the answer this long (a slow receiver). */
  delayMs?: number;
}

export type Script = (request: ReceivedWebhook, countOnPath: number) => ScriptedAnswer;

export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  readonly #scripts = new Map<string, Script>();
  readonly #server: Server;
  #url = '';
  #waiters: (() => void)[] = [];

  constructor() {
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = request.url ?? '/';
        const webhook: ReceivedWebhook = { path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), receivedAt: Date.now() };
        this.received.push(webhook);
        const count = this.received.filter((r) => r.path === path).length;
        const script: Script = this.#scripts.get(path) ?? (() => ({ status: 200 }));
        const answer = script(webhook, count);
        for (const wake of this.#waiters.splice(0)) wake();
        setTimeout(() => {
          response.writeHead(answer.status, answer.headers);
          response.end(answer.body ?? '');
        }, answer.delayMs ?? 0);
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  url(path: string): string {
    return `${this.#url}${path}`;
  }

  /** How the receiver answers requests to `path` (default: 200). */
  script(path: string, script: Script): void {
    this.#scripts.set(path, script);
  }

  on(path: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.path === path);
  }

  /** Waits until `count` requests reached `path`. */
  async waitFor(path: string, count: number, timeoutMs = 15_000): Promise<ReceivedWebhook[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.on(path).length < count) {
      if (Date.now() > deadline) throw new Error(`${path} received ${this.on(path).length} of ${count} webhooks in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.on(path);
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
