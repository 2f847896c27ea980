import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// `npm start`: a small supervisor. The platform runs in a child process in its own process group,
// so a terminal's Ctrl-C reaches only this supervisor, which asks the platform to shut down in
// order (Postgres last) instead of every process dying at once. A second signal forces it.
// Whatever stops a service gets the same orderly stop: SIGTERM or SIGINT to npm (which forwards it
// here: the script `exec`s node, so no shell stands between), to this process, or to the group;
// and if the process that started this one goes away (npm killed outright), this one stops too.
// If the supervisor is killed outright, the child notices the IPC channel closing and stops.

const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(new URL('./platform-process.ts', import.meta.url))], {
  detached: true,
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});

/** One Ctrl-C can arrive twice: from the terminal to the group, and forwarded by npm. */
const SAME_SIGNAL_MS = 1000;
let firstSignalAt: number | undefined;
function onSignal(signal: NodeJS.Signals): void {
  if (firstSignalAt === undefined && child.connected) {
    firstSignalAt = Date.now();
    child.send({ type: 'shutdown', signal });
    return;
  }
  if (firstSignalAt !== undefined && Date.now() - firstSignalAt < SAME_SIGNAL_MS) return;
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

// Orphaned: whoever started us (npm, a shell, a service manager) is gone, and so is its reason to run us.
const startedBy = process.ppid;
const orphanWatch = setInterval(() => {
  if (process.ppid !== startedBy) {
    clearInterval(orphanWatch);
    onSignal('SIGHUP');
  }
}, 250);
orphanWatch.unref();

child.on('exit', (code, signal) => {
  process.exit(code ?? (signal ? 1 : 0));
});
