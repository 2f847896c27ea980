import { isTerminal, sleep, type JobStatus } from '@kontext/core';
import { findJob } from '@kontext/db';
import type { VerbArgs } from '../context.ts';

/**
 * Waits until a job reaches a terminal status or the time is up, woken by the job's own change
 * notifications (with a slow re-check in case one is missed). Returns the status it ended on.
 */
export async function waitForJob({ ctx, input }: VerbArgs<{ jobId: string; timeoutMs: number; signal?: AbortSignal }>): Promise<JobStatus | undefined> {
  const deadline = Date.now() + input.timeoutMs;
  let wake: () => void = () => {};
  let changed = true;
  const unsubscribe = await ctx.jobEvents.subscribe(input.jobId, () => {
    changed = true;
    wake();
  });
  try {
    for (;;) {
      changed = false;
      const status = (await findJob(ctx.db, input.jobId))?.status;
      const remaining = deadline - Date.now();
      if (!status || isTerminal(status) || remaining <= 0 || input.signal?.aborted) return status;
      if (changed) continue;
      const wakeup = new AbortController();
      wake = () => wakeup.abort();
      await sleep(Math.min(remaining, 1000), wakeup.signal);
    }
  } finally {
    unsubscribe();
  }
}
