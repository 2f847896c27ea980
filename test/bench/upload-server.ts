import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadLocalConfig, startLocalPlatform } from '@kontext/local';
import { silentLogger } from '@kontext/services';

// One API process for the upload-memory benchmark (test/bench/client.ts): the one-machine
// platform on a database the parent started, no worker loops (a job stays queued once admitted,
// so nothing but the upload itself runs here). Over IPC it tells the parent its address, resets
// its peak resident set size (after a full GC) just before an upload, and reports the peak after
// it. Linux keeps the peak as VmHWM and resets it on `5` written to /proc/self/clear_refs.

type Request = { ask: 'reset-peak' } | { ask: 'peak-rss' } | { ask: 'stop' };

async function main(): Promise<void> {
  const [databaseUrl, dataDir] = process.argv.slice(2);
  if (!databaseUrl || !dataDir || !process.send) throw new Error('usage: upload-server.ts <database url> <data dir> (forked with IPC)');
  const platform = await startLocalPlatform({
    config: loadLocalConfig({ DATABASE_URL: databaseUrl, DATA_DIR: join(dataDir, 'data'), PORT: '0', WORKER_LOOPS: '0', LOG_LEVEL: 'error' }),
    log: silentLogger,
  });
  process.on('message', (message: Request) => {
    if (message.ask === 'reset-peak') {
      globalThis.gc?.();
      writeFileSync('/proc/self/clear_refs', '5');
      process.send!({ rssBytes: residentKiB('VmRSS') * 1024 });
    } else if (message.ask === 'peak-rss') {
      process.send!({ peakRssBytes: residentKiB('VmHWM') * 1024 });
    } else {
      void platform.stop().then(() => process.exit(0));
    }
  });
  process.send({ url: platform.url, adminToken: platform.adminToken });
}

/** A resident-set figure of this process from /proc/self/status, in KiB. */
function residentKiB(field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((entry) => entry.startsWith(`${field}:`));
  const value = Number(line?.split(/\s+/)[1]);
  if (!Number.isFinite(value)) throw new Error(`no ${field} in /proc/self/status`);
  return value;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
