import { recordJobProgress, type WorkerLease } from '@kontext/db';
import type { VerbArgs } from '../context.ts';

/** Records progress (0..1) and the engine at work; false when the lease was lost. */
export async function reportJobProgress({
  ctx,
  input,
}: VerbArgs<{ lease: WorkerLease; progress: number; engine: string }>): Promise<boolean> {
  const progress = Math.min(1, Math.max(0, input.progress));
  return recordJobProgress(ctx.db, input.lease, progress, input.engine);
}
