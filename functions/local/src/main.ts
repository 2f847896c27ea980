import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// `npm start`: a small supervisor. The platform runs in a child process in its own process group,
// so a terminal's Ctrl-C reaches only this supervisor, which asks the platform to shut down in
// order (Postgres last) instead of every process dying at once. A second Ctrl-C forces it. If the
// supervisor is killed outright, the child notices the IPC channel closing and shuts itself down.

const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(new URL('./platform-process.ts', import.meta.url))], {
  detached: true,
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});

let signals = 0;
function onSignal(signal: NodeJS.Signals): void {
  signals += 1;
  if (signals === 1 && child.connected) {
    child.send({ type: 'shutdown', signal });
    return;
  }
  // Forced: the whole group, Postgres included, gets a fast-shutdown signal.
  if (child.pid) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);

child.on('exit', (code, signal) => {
  process.exit(code ?? (signal ? 1 : 0));
});
