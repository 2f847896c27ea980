import { relative } from 'node:path';
import { ensureConsoleBuilt } from '@kontext/console/build';
import { errorFields } from '@kontext/services';
import { loadLocalConfig } from './config.ts';
import { ADMIN_TOKEN_FILE, CONSOLE_SIGN_IN_URL_FILE, DEV_API_KEY_FILE } from './dev-credentials.ts';
import { startLocalPlatform, type LocalPlatform } from './platform.ts';

// The platform process that `npm start`'s supervisor (main.ts) runs in its own process group.
// It shuts down in order (HTTP, workers, sweeper, database pool, Postgres last) when the
// supervisor asks over IPC, or when the supervisor disappears (the IPC channel closes).

const config = loadLocalConfig(process.env);
let platform: LocalPlatform | undefined;
let stopping: Promise<void> | undefined;

function shutdown(reason: string): Promise<void> {
  stopping ??= (async () => {
    process.stdout.write(`\nStopping (${reason})...\n`);
    try {
      await platform?.stop();
      process.stdout.write('Stopped.\n');
    } catch (error) {
      process.stderr.write(`Unclean shutdown: ${JSON.stringify(errorFields(error))}\n`);
      process.exitCode = 1;
    }
    process.exit();
  })();
  return stopping;
}

process.on('message', (message: unknown) => {
  if (typeof message === 'object' && message !== null && 'type' in message && message.type === 'shutdown') {
    void shutdown('stop requested');
  }
});
process.on('disconnect', () => void shutdown('supervisor went away'));
// A signal sent to this process itself (its own group, a service manager's cgroup) stops it the
// same orderly way; a second one forces the exit.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    void shutdown(signal);
  });
}

try {
  // The console is built from its sources when they changed since the last build (seconds), else
  // left as it is (milliseconds): the API serves packages/console/dist at /console.
  const consoleBuild = await ensureConsoleBuilt({ log: (message) => process.stdout.write(`${message}\n`) });
  if (consoleBuild.built) process.stdout.write(`Console built in ${Math.round(consoleBuild.ms)} ms.\n`);
  platform = await startLocalPlatform({ config });
} catch (error) {
  process.stderr.write(`The platform could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

const show = (path: string) => {
  const near = relative(process.cwd(), path);
  return near.startsWith('..') ? path : near || '.';
};
const lines = [
  '',
  'FLUX.1 Kontext platform is running on this machine (preview engine: CPU, no model weights).',
  `  API        ${platform.publicBaseUrl}`,
  `  Docs       ${platform.publicBaseUrl}/docs`,
  `  Dev key    ${platform.devApiKey}   (saved in ${show(`${config.dataDir}/${DEV_API_KEY_FILE}`)})`,
  `  Console    ${platform.consoleSignInUrl}   (one-time sign-in as the owner; saved in ${show(`${config.dataDir}/${CONSOLE_SIGN_IN_URL_FILE}`)})`,
  config.ADMIN_TOKEN
    ? '  Admin      operator API at /admin/v1 (token from ADMIN_TOKEN)'
    : `  Admin      ${platform.adminToken}   (operator API at /admin/v1; saved in ${show(`${config.dataDir}/${ADMIN_TOKEN_FILE}`)})`,
  platform.embeddedDatabase
    ? `  Database   embedded Postgres, data in ${show(`${config.dataDir}/postgres`)}`
    : '  Database   external (DATABASE_URL)',
  `  Images     ${show(`${config.dataDir}/blobs`)}`,
];
if (config.ALLOW_PRIVATE_URL_INPUTS) {
  lines.push('  Note       URL inputs may reach loopback and private networks (ALLOW_PRIVATE_URL_INPUTS=true, for local development only).');
}
if (config.ALLOW_PRIVATE_WEBHOOK_TARGETS) {
  lines.push('  Note       webhooks may target loopback and private networks (ALLOW_PRIVATE_WEBHOOK_TARGETS=true, for local development only).');
}
lines.push('', `Try it:  curl -s -X POST ${platform.publicBaseUrl}/v1/flux-kontext-dev -H "x-key: $(cat ${show(`${config.dataDir}/${DEV_API_KEY_FILE}`)})" -H 'content-type: application/json' -d '{"prompt":"a red bicycle"}'`, 'Press Ctrl-C to stop.', '');
process.stdout.write(lines.join('\n'));
process.send?.({ type: 'ready', url: platform.url, publicBaseUrl: platform.publicBaseUrl });
