import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '@kontext/local';
import S3rver from 's3rver';
import { ensureTestVenv } from './python-tools.ts';
import { sleep } from '@kontext/core';

// Real protocol servers for the AWS adapters, started once per test run: moto's server for SQS
// and Secrets Manager, s3rver for S3 (it checks presigned URL expiry, which moto does not). The
// AWS SDK is pointed at them with fixed test credentials; nothing is mocked.

/** Credentials both servers accept (s3rver's built-in account; moto accepts anything). */
export const TEST_AWS_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
export const TEST_AWS_REGION = 'us-east-1';

export interface RunningServer {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startMotoServer(): Promise<RunningServer> {
  const bin = await ensureTestVenv();
  const port = await findFreePort();
  const child: ChildProcess = spawn(join(bin, 'moto_server'), ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}: ${stderr}`);
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not start within 30 s: ${stderr}`);
    }
    await sleep(100);
  }
  return {
    endpoint,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function startS3Server(): Promise<RunningServer> {
  const directory = await mkdtemp(join(tmpdir(), 'kontext-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
