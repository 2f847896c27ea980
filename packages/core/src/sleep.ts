/**
 * Waits `ms` milliseconds, or less if any of `signals` aborts first (at once if one already has).
 * Resolves `true` when the time ran out and `false` when a signal cut it short; it never rejects,
 * so a caller that treats an abort as an error says so itself. On abort the timer is cleared, so a
 * cut-short sleep keeps no process alive, and every listener is removed, so a long-lived signal
 * (a worker's shutdown) gathers none across many sleeps. `undefined` stands for "no signal", which
 * lets a caller pass an optional one through.
 */
export function sleep(ms: number, ...signals: readonly (AbortSignal | undefined)[]): Promise<boolean> {
  const present = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  if (present.some((signal) => signal.aborted)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(true), ms);
    const onAbort = (): void => finish(false);
    for (const signal of present) signal.addEventListener('abort', onAbort, { once: true });
    function finish(elapsed: boolean): void {
      clearTimeout(timer);
      for (const signal of present) signal.removeEventListener('abort', onAbort);
      resolve(elapsed);
    }
  });
}
