import { findProfile, heartbeatIntervalMs, isProblemError, jobQueueName, newId, sleep } from '@kontext/core';
import type { ReceivedMessage } from '@kontext/queue';
import {
  claimJob,
  completeJob,
  describeError,
  errorFields,
  failJob,
  loadJobInputs,
  releaseJob,
  renewJobLease,
  reportJobProgress,
  upsampleJobPrompt,
  type Logger,
  type ServiceContext,
} from '@kontext/services';
import type { JobRow, WorkerLease } from '@kontext/services';
import { z } from 'zod';
import { EngineCanceled, EngineError, type Engine } from './engine.ts';

// The worker agent: queue -> claim -> inputs -> engine -> storage -> complete -> ack. It owns
// every side effect; the engine only computes. Each message is handled idempotently: a duplicate
// or stale message loses the claim and is dropped, a lost lease stops the engine, a retryable
// failure hands the job back for another attempt.

const JobMessageSchema = z.object({ jobId: z.string().min(1).max(100) });

/** How often a loop looks again at an engine that is not ready. */
const ENGINE_WAIT_MS = 250;

/** Abort reason when the job stops being this worker's: canceled, reclaimed after a lost lease, or finished. */
const NO_LONGER_HELD = 'job no longer held';

export interface WorkerAgentOptions {
  ctx: ServiceContext;
  engine: Engine;
  enginePool: string;
  /** Stable for the life of this loop; recorded as the lease owner. */
  workerId?: string;
  /** Long-poll wait per receive. */
  receiveWaitSeconds?: number;
  /** Progress writes per job are at most this frequent (the last step is always written). */
  progressIntervalMs?: number;
  /** Delay before a job handed back after a retryable failure becomes visible again. */
  retryDelaySeconds?: number;
}

export class WorkerAgent {
  readonly workerId: string;
  readonly #ctx: ServiceContext;
  readonly #engine: Engine;
  readonly #queue: string;
  readonly #log: Logger;
  readonly #receiveWaitSeconds: number;
  readonly #progressIntervalMs: number;
  readonly #retryDelaySeconds: number;
  readonly #stopping = new AbortController();
  #jobAbort: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #loopEnded = false;

  constructor(options: WorkerAgentOptions) {
    this.workerId = options.workerId ?? newId('worker');
    this.#ctx = options.ctx;
    this.#engine = options.engine;
    this.#queue = jobQueueName(options.enginePool);
    this.#log = options.ctx.log.child({ workerId: this.workerId, engine: options.engine.id });
    this.#receiveWaitSeconds = options.receiveWaitSeconds ?? 10;
    this.#progressIntervalMs = options.progressIntervalMs ?? 200;
    this.#retryDelaySeconds = options.retryDelaySeconds ?? 2;
  }

  start(): void {
    this.#loop ??= this.#run().finally(() => {
      this.#loopEnded = true;
    });
  }

  /** Whether the receive loop is running: started, not stopped, and not ended by a fault. */
  get running(): boolean {
    return this.#loop !== undefined && !this.#loopEnded && !this.#stopping.signal.aborted;
  }

  /**
   * Stops receiving. The job in hand may finish within `drainMs`; after that it is canceled and
   * handed back to the queue for another worker, so a shutdown never strands a job.
   */
  async stop(drainMs = 10_000): Promise<void> {
    this.#stopping.abort('worker stopping');
    const timer = setTimeout(() => this.#jobAbort?.abort('worker shutting down'), drainMs);
    try {
      await this.#loop;
    } finally {
      clearTimeout(timer);
    }
  }

  async #run(): Promise<void> {
    const signal = this.#stopping.signal;
    while (!signal.aborted) {
      // Take no job the engine cannot run (loading, restarting after a crash, failed): a claim
      // would only spend one of the job's attempts.
      if (this.#engine.health().state !== 'ready') {
        await sleep(ENGINE_WAIT_MS, signal);
        continue;
      }
      let messages: ReceivedMessage[];
      try {
        messages = await this.#ctx.queue.receive(this.#queue, {
          maxMessages: 1,
          waitSeconds: this.#receiveWaitSeconds,
          visibilitySeconds: this.#ctx.settings.leaseSeconds,
          signal,
        });
      } catch (error) {
        if (signal.aborted) break;
        this.#log.error('queue receive failed', errorFields(error));
        await sleep(1000, signal);
        continue;
      }
      for (const message of messages) {
        try {
          await this.#handle(message);
        } catch (error) {
          // Infrastructure failure outside a claim: leave the message to reappear after its visibility timeout.
          this.#log.error('message handling failed', { messageId: message.messageId, ...errorFields(error) });
        }
      }
    }
  }

  async #handle(message: ReceivedMessage): Promise<void> {
    const parsed = JobMessageSchema.safeParse(message.body);
    if (!parsed.success) {
      this.#log.warn('dropping malformed job message', { messageId: message.messageId });
      await this.#ctx.queue.ack(this.#queue, message.receipt);
      return;
    }
    const { jobId } = parsed.data;
    const claim = await claimJob({ ctx: this.#ctx, input: { jobId, workerId: this.workerId } });
    if (!claim.claimed) {
      // Duplicate, stale or already-finished: the database says so, the message goes.
      this.#log.debug('message dropped', { jobId, reason: claim.reason, receiveCount: message.receiveCount });
      await this.#ctx.queue.ack(this.#queue, message.receipt);
      return;
    }
    await this.#process(claim.job, claim.lease, message);
  }

  async #process(job: JobRow, lease: WorkerLease, message: ReceivedMessage): Promise<void> {
    const log = this.#log.child({ jobId: job.id, attempt: lease.attempt });
    const abort = new AbortController();
    this.#jobAbort = abort;
    const heartbeat = setInterval(() => {
      void this.#heartbeat(lease, message, abort, log);
    }, heartbeatIntervalMs({ leaseSeconds: this.#ctx.settings.leaseSeconds, maxAttempts: job.maxAttempts }));
    const ctx = this.#ctx;
    try {
      log.info('job started', { model: job.model, steps: job.steps, width: job.width, height: job.height });
      const inputs = await loadJobInputs({ ctx, input: { jobId: job.id } });
      // A job that asked for prompt upsampling gets it here, once, before the engine (see the verb).
      const task = inputs.some((input) => input.role === 'context') ? 'edit' : 'generate';
      const jobPrompt = await upsampleJobPrompt({ ctx, input: { job, lease, task, signal: abort.signal } });
      if (!jobPrompt.held) {
        abort.abort(NO_LONGER_HELD);
        throw new Error(NO_LONGER_HELD);
      }
      let lastWrite = 0;
      const output = await this.#engine.predict(
        {
          jobId: job.id,
          model: job.model,
          prompt: jobPrompt.prompt,
          images: inputs.map((i) => ({ bytes: i.bytes, format: i.format, role: i.role })),
          seed: job.seed,
          width: job.width,
          height: job.height,
          steps: job.steps,
          guidance: job.guidance,
          outputFormat: job.outputFormat,
          stepCache: findProfile(ctx.catalog, job.model)?.stepCache ?? false,
        },
        {
          signal: abort.signal,
          onProgress: ({ step, totalSteps }) => {
            const now = Date.now();
            if (step < totalSteps && now - lastWrite < this.#progressIntervalMs) return;
            lastWrite = now;
            // A progress write that finds the job no longer held (canceled, reclaimed) stops the engine now.
            reportJobProgress({ ctx, input: { lease, progress: step / totalSteps, engine: this.#engine.id } }).then(
              (held) => {
                if (!held) abort.abort(NO_LONGER_HELD);
              },
              (error: unknown) => log.warn('progress write failed', errorFields(error)),
            );
          },
        },
      );
      const outcome = await completeJob({
        ctx,
        input: {
          lease,
          tenantId: job.tenantId,
          expected: { width: job.width, height: job.height, format: job.outputFormat },
          output: output.image,
          engine: this.#engine.id,
        },
      });
      if (outcome.completed) {
        log.info('job succeeded', { assetId: outcome.assetId });
      } else if (outcome.reason === 'bad_output') {
        log.error('engine output rejected', { reason: outcome.message });
        await failJob({ ctx, input: { lease, message: outcome.message, engine: this.#engine.id } });
      } else {
        log.warn('lease lost before completion; result discarded');
      }
      await ctx.queue.ack(this.#queue, message.receipt);
    } catch (error) {
      await this.#onFailure(error, job, lease, message, abort, log);
    } finally {
      clearInterval(heartbeat);
      this.#jobAbort = undefined;
    }
  }

  async #onFailure(
    error: unknown,
    job: JobRow,
    lease: WorkerLease,
    message: ReceivedMessage,
    abort: AbortController,
    log: Logger,
  ): Promise<void> {
    const ctx = this.#ctx;
    if (abort.signal.reason === NO_LONGER_HELD) {
      log.warn('job abandoned: no longer held by this worker (canceled or reclaimed)');
      await ctx.queue.ack(this.#queue, message.receipt);
      return;
    }
    const retryable =
      error instanceof EngineCanceled ||
      (error instanceof EngineError && error.retryable) ||
      (isProblemError(error) ? error.retryable : !(error instanceof EngineError));
    if (retryable) {
      const reason = describeError(error);
      const outcome = await releaseJob({
        ctx,
        input: { lease, enginePool: job.enginePool, receipt: message.receipt, reason, retryDelaySeconds: this.#retryDelaySeconds },
      });
      log.warn('job handed back', { outcome, ...errorFields(error) });
      return;
    }
    const text = describeError(error);
    await failJob({ ctx, input: { lease, message: text, engine: this.#engine.id } });
    await ctx.queue.ack(this.#queue, message.receipt);
    log.error('job failed', errorFields(error));
  }

  async #heartbeat(lease: WorkerLease, message: ReceivedMessage, abort: AbortController, log: Logger): Promise<void> {
    try {
      const held = await renewJobLease({ ctx: this.#ctx, input: { lease } });
      if (!held) {
        abort.abort(NO_LONGER_HELD);
        return;
      }
      await this.#ctx.queue.extendVisibility(this.#queue, message.receipt, this.#ctx.settings.leaseSeconds);
    } catch (error) {
      // One missed heartbeat is survivable (three per lease); the next one retries.
      log.warn('heartbeat failed', errorFields(error));
    }
  }
}
