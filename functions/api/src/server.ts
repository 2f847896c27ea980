import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { ApiApp } from './env.ts';

/** The remote address of a request served by startServer (for createApp's connectionInfo). */
export { getConnInfo as nodeConnectionInfo } from '@hono/node-server/conninfo';

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves the app on Node's HTTP server; close() stops accepting and ends idle keep-alive connections. */
export function startServer(app: ApiApp, options: { port: number; hostname?: string }): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: options.port, hostname: options.hostname ?? '0.0.0.0' }, (info: AddressInfo) => {
      const host = options.hostname && options.hostname !== '0.0.0.0' ? options.hostname : '127.0.0.1';
      resolve({
        url: `http://${host}:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            (server as Server).close(() => done());
            (server as Server).closeIdleConnections();
            setTimeout(() => (server as Server).closeAllConnections(), 2000).unref();
          }),
      });
    }) as Server;
    server.once('error', reject);
  });
}
