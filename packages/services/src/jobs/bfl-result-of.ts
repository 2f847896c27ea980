import type { GetResultResponse } from '@kontext/core';
import type { JobWithOutput } from '@kontext/db';
import { signedUrlOf } from '../assets/signed-url-of.ts';
import type { ServiceContext } from '../context.ts';

/**
 * BFL's `result` of a finished job, as a poll and a webhook both show it: a freshly signed sample
 * URL (null once retention removed the image), the prompt and seed, and its timings in seconds.
 * Null for a job that never started or finished.
 */
export async function bflResultOf(ctx: ServiceContext, found: JobWithOutput): Promise<GetResultResponse['result']> {
  const { job } = found;
  if (!job.startedAt || !job.finishedAt) return null;
  const startTime = job.startedAt.getTime() / 1000;
  const endTime = job.finishedAt.getTime() / 1000;
  return {
    sample: found.outputDeletedAt ? null : await signedUrlOf(ctx, found.outputStorageKey),
    prompt: job.prompt,
    seed: job.seed,
    start_time: startTime,
    end_time: endTime,
    duration: Math.round((endTime - startTime) * 1000) / 1000,
  };
}
