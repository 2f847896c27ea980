import { recordPromptUpsampling, type JobRow, type PromptUpsamplingResult, type WorkerLease } from '@kontext/db';
import type { VerbArgs } from '../context.ts';
import { errorFields } from '../logger.ts';
import { PromptUpsamplingError } from '../prompts/prompt-upsampler.ts';

// Where upsampling runs: in the worker that claimed the job, just before the engine. Not at
// submit, because the submit answers within milliseconds and behind API Gateway within 29 s, and
// a language model's seconds (or its outage) would be added to every such submit and to
// `Prefer: wait`; here they are part of the job's run, under the job's lease and heartbeats, and
// an upsampler that fails costs the job nothing but the detail. The outcome is written once: an
// attempt after a crash or a hand-back runs the text the first one got, and never asks again.

export type JobPrompt = { held: true; prompt: string } | { held: false };

export interface UpsampleJobPromptInput {
  job: JobRow;
  lease: WorkerLease;
  /** Whether the job edits an input image or generates from text. */
  task: 'edit' | 'generate';
  /** Aborted when the job stops being this worker's (canceled, reclaimed, the worker stopping). */
  signal: AbortSignal;
}

/**
 * The prompt a claimed job runs with: the upsampled one when upsampling was applied (now, or by an
 * earlier attempt), else the prompt as sent. `held: false` when the lease was lost meanwhile.
 * Throws only when `signal` ended the call, recording nothing, so the next attempt decides.
 */
export async function upsampleJobPrompt({ ctx, input }: VerbArgs<UpsampleJobPromptInput>): Promise<JobPrompt> {
  const { job, lease } = input;
  switch (job.promptUpsampling) {
    case null:
    case 'failed':
      return { held: true, prompt: job.prompt };
    case 'applied':
      // The table's check constraint keeps the text beside this outcome.
      return { held: true, prompt: job.upsampledPrompt ?? job.prompt };
    case 'unavailable':
      break;
  }
  const upsampler = ctx.promptUpsampler;
  // No upsampler here: the job runs as sent and keeps saying `unavailable`.
  if (!upsampler) return { held: true, prompt: job.prompt };

  const log = ctx.log.child({ jobId: job.id, attempt: lease.attempt, upsampler: upsampler.description });
  const started = performance.now();
  let result: PromptUpsamplingResult;
  try {
    const upsampledPrompt = await upsampler.upsample({ prompt: job.prompt, task: input.task }, { signal: input.signal });
    result = { outcome: 'applied', upsampledPrompt };
    log.info('prompt upsampled', { chars: [...upsampledPrompt].length, ms: Math.round(performance.now() - started) });
  } catch (error) {
    if (input.signal.aborted) throw error;
    result = { outcome: 'failed' };
    const ms = Math.round(performance.now() - started);
    if (error instanceof PromptUpsamplingError) {
      log.warn('prompt upsampling failed; the job runs with the prompt as given', { reason: error.reason, error: error.message, ms });
    } else {
      log.error('prompt upsampling failed unexpectedly; the job runs with the prompt as given', { ...errorFields(error), ms });
    }
  }
  if (!(await recordPromptUpsampling(ctx.db, lease, result))) return { held: false };
  return { held: true, prompt: result.outcome === 'applied' ? result.upsampledPrompt : job.prompt };
}
