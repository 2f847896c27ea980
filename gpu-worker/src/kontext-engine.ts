import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { sleep } from '@kontext/core';
import { errorFields, type Logger } from '@kontext/services';
import { z } from 'zod';
import { EngineCanceled, EngineError, type Engine, type EngineHealth, type EngineOutput, type EngineProgress, type EngineRequest } from './engine.ts';

// The FLUX.1 Kontext engine: a Python process (gpu-worker/engine, diffusers) on loopback, behind
// the protocol its README documents. This side starts it, waits for it, restarts it when it dies
// (with backoff), and turns predictions into HTTP calls whose NDJSON stream carries progress.
// The agent stays the only owner of queue, storage and database; the process only computes.

const ListeningLineSchema = z.object({ event: z.literal('listening'), port: z.number().int().min(1).max(65535) });
const HealthSchema = z.object({
  status: z.enum(['LOADING', 'READY', 'BUSY', 'FAILED']),
  detail: z.string().nullable().optional(),
  engine: z.string().min(1),
});
const StreamLineSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('started'), id: z.string() }),
  z.object({ type: z.literal('progress'), step: z.number().int().min(0), total: z.number().int().min(1) }),
  z.object({
    type: z.literal('succeeded'),
    output: z.object({ format: z.enum(['png', 'jpeg']), width: z.number().int(), height: z.number().int(), data: z.string() }),
  }),
  z.object({ type: z.literal('canceled') }),
  z.object({ type: z.literal('failed'), message: z.string(), retryable: z.boolean() }),
]);
const ErrorBodySchema = z.object({ error: z.string(), message: z.string().optional(), field: z.string().optional(), detail: z.string().nullable().optional() });

export interface KontextEngineOptions {
  /** The engine virtual environment's python. */
  python: string;
  /** Diffusers layout of FLUX.1 Kontext [dev]; never a hub id (nothing is downloaded). */
  modelDir: string;
  /** KONTEXT_* options for the process (device, compile, quantization...), on top of this environment. */
  env?: Record<string, string>;
  log: Logger;
  /** How long loading may take before the engine counts as failed (12B parameters, compile, warm-up). */
  loadTimeoutMs?: number;
  /** Backoff between restarts after the process dies: doubled each time up to the maximum. */
  restartBackoffMs?: { initial: number; max: number };
  /** How often health is polled while the engine loads. */
  pollIntervalMs?: number;
}

type State =
  | { kind: 'stopped' }
  | { kind: 'loading'; process: ChildProcess }
  | { kind: 'ready'; process: ChildProcess; baseUrl: string }
  | { kind: 'failed'; message: string };

export class KontextEngine implements Engine {
  #state: State = { kind: 'stopped' };
  #engineId = 'kontext-diffusers';
  #stopping = false;
  #restarts = 0;
  #predictions = 0;
  readonly #options: Required<Omit<KontextEngineOptions, 'env'>> & { env: Record<string, string> };

  constructor(options: KontextEngineOptions) {
    this.#options = {
      loadTimeoutMs: 30 * 60_000,
      restartBackoffMs: { initial: 1000, max: 60_000 },
      pollIntervalMs: 250,
      env: {},
      ...options,
    };
  }

  /** `kontext-diffusers/<version>` as the process reports it once it answered. */
  get id(): string {
    return this.#engineId;
  }

  /** The engine process's id while one runs (for operators and tests). */
  get pid(): number | undefined {
    const state = this.#state;
    return state.kind === 'loading' || state.kind === 'ready' ? state.process.pid : undefined;
  }

  health(): EngineHealth {
    switch (this.#state.kind) {
      case 'ready':
        return { state: 'ready' };
      case 'failed':
        return { state: 'failed', message: this.#state.message };
      default:
        return { state: 'loading' };
    }
  }

  /** Starts the process and resolves once it is ready; rejects with its reason if it fails to load. */
  async start(): Promise<void> {
    this.#stopping = false;
    await this.#launch();
  }

  async predict(request: EngineRequest, options: { signal: AbortSignal; onProgress: (progress: EngineProgress) => void }): Promise<EngineOutput> {
    const state = this.#state;
    if (state.kind !== 'ready') {
      throw new EngineError(state.kind === 'failed' ? `the engine failed: ${state.message}` : 'the engine is not ready', state.kind !== 'failed');
    }
    if (options.signal.aborted) throw new EngineCanceled(String(options.signal.reason ?? 'aborted'));
    // One id per attempt: the engine remembers finished ids, and a retry must run again.
    const predictionId = `${request.jobId}-${++this.#predictions}`;
    const url = `${state.baseUrl}/predictions/${predictionId}`;
    const body = JSON.stringify({
      prompt: request.prompt,
      images: request.images.map((image) => ({ role: image.role, format: image.format, data: Buffer.from(image.bytes).toString('base64') })),
      seed: request.seed,
      width: request.width,
      height: request.height,
      steps: request.steps,
      guidance: request.guidance,
      output_format: request.outputFormat,
      step_cache: request.stepCache,
    });

    const cancel = () => {
      void fetch(`${url}/cancel`, { method: 'POST' }).catch(() => {});
    };
    options.signal.addEventListener('abort', cancel, { once: true });
    try {
      let response: Response;
      try {
        response = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body });
      } catch (error) {
        throw new EngineError(`the engine did not answer: ${errorMessage(error)}`, true);
      }
      if (response.status !== 200) throw await refusal(response);
      if (!response.body) throw new EngineError('the engine answered without a body', true);

      const lines = createInterface({ input: streamOf(response.body), crlfDelay: Infinity });
      for await (const line of lines) {
        if (line.trim() === '') continue;
        const parsed = StreamLineSchema.safeParse(safeJson(line));
        if (!parsed.success) throw new EngineError(`the engine sent an unreadable line: ${line.slice(0, 200)}`, true);
        const event = parsed.data;
        switch (event.type) {
          case 'started':
            // An abort before the engine registered the prediction met a 404 on cancel: ask again now.
            if (options.signal.aborted) cancel();
            break;
          case 'progress':
            options.onProgress({ step: event.step, totalSteps: event.total });
            break;
          case 'succeeded':
            return { image: new Uint8Array(Buffer.from(event.output.data, 'base64')), format: event.output.format, width: event.output.width, height: event.output.height };
          case 'canceled':
            throw new EngineCanceled(String(options.signal.reason ?? 'canceled by the engine'));
          case 'failed':
            throw new EngineError(event.message, event.retryable);
        }
      }
      // The stream ended without a final line: the process died or the connection broke.
      throw new EngineError('the engine stopped before finishing the prediction', true);
    } catch (error) {
      if (error instanceof EngineCanceled || error instanceof EngineError) throw error;
      throw new EngineError(`the engine stream broke: ${errorMessage(error)}`, true);
    } finally {
      options.signal.removeEventListener('abort', cancel);
    }
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    const state = this.#state;
    this.#state = { kind: 'stopped' };
    if (state.kind === 'loading' || state.kind === 'ready') await terminate(state.process);
  }

  async #launch(): Promise<void> {
    const { python, modelDir, env, log } = this.#options;
    const child = spawn(python, ['-m', 'kontext_engine', '--host', '127.0.0.1', '--port', '0'], {
      env: { ...process.env, ...env, KONTEXT_MODEL_DIR: modelDir, PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#state = { kind: 'loading', process: child };
    // The engine logs JSON lines on stderr; they are passed on as this worker's log lines.
    createInterface({ input: child.stderr! }).on('line', (line) => forwardLog(log, line));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    child.once('error', (error) => log.error('engine process error', errorFields(error)));

    const died = exited.then((exit) => {
      throw new Error(`the engine exited while starting (${describeExit(exit)})`);
    });
    died.catch(() => {}); // only a rejection while starting matters; later exits are #onExit's
    try {
      const port = await Promise.race([listeningPort(child, log), died]);
      const baseUrl = `http://127.0.0.1:${port}`;
      const health = await this.#awaitLoaded(baseUrl, exited);
      this.#engineId = health.engine;
      this.#state = { kind: 'ready', process: child, baseUrl };
      this.#restarts = 0;
      log.info('engine ready', { engine: health.engine, pid: child.pid ?? null });
    } catch (error) {
      await terminate(child);
      if (this.#stopping) return;
      this.#state = { kind: 'failed', message: errorMessage(error) };
      throw error;
    }
    void exited.then((exit) => this.#onExit(child, exit));
  }

  async #awaitLoaded(baseUrl: string, exited: Promise<unknown>): Promise<z.infer<typeof HealthSchema>> {
    const deadline = Date.now() + this.#options.loadTimeoutMs;
    let gone = false;
    void exited.then(() => {
      gone = true;
    });
    for (;;) {
      if (gone) throw new Error('the engine exited while loading');
      if (this.#stopping) throw new Error('stopping');
      try {
        const health = HealthSchema.parse(await (await fetch(`${baseUrl}/health-check`)).json());
        if (health.status === 'READY') return health;
        if (health.status === 'FAILED') throw new LoadFailed(health.detail ?? 'the engine failed to load');
      } catch (error) {
        if (error instanceof LoadFailed) throw error;
        // Not answering yet: keep polling until the deadline.
      }
      if (Date.now() > deadline) throw new Error(`the engine did not load within ${Math.round(this.#options.loadTimeoutMs / 1000)} s`);
      await sleep(this.#options.pollIntervalMs);
    }
  }

  /** A process that dies on its own is restarted after a backoff; predictions in flight failed with it. */
  async #onExit(child: ChildProcess, exit: { code: number | null; signal: NodeJS.Signals | null }): Promise<void> {
    const state = this.#state;
    if (this.#stopping || (state.kind !== 'ready' && state.kind !== 'loading') || state.process !== child) return;
    const { initial, max } = this.#options.restartBackoffMs;
    const delay = Math.min(max, initial * 2 ** this.#restarts++);
    this.#options.log.error('engine process died; restarting', { exit: describeExit(exit), restartInMs: delay, restarts: this.#restarts });
    this.#state = { kind: 'loading', process: child };
    await sleep(delay);
    if (this.#stopping) return;
    await this.#launch().catch((error: unknown) => this.#options.log.error('engine restart failed', errorFields(error)));
  }
}

class LoadFailed extends Error {}

/** The port from the engine's first stdout line; later stdout lines are logged, so the pipe never fills. */
function listeningPort(child: ChildProcess, log: Logger): Promise<number> {
  return new Promise((resolve, reject) => {
    let announced = false;
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const parsed = ListeningLineSchema.safeParse(safeJson(line));
      if (!announced && parsed.success) {
        announced = true;
        resolve(parsed.data.port);
      } else if (line.trim() !== '') {
        log.info('engine output', { line: line.slice(0, 2000) });
      }
    });
    lines.on('close', () => {
      if (!announced) reject(new Error('the engine closed its output without announcing its port'));
    });
  });
}

async function refusal(response: Response): Promise<EngineError> {
  const parsed = ErrorBodySchema.safeParse(await response.json().catch(() => null));
  const detail = parsed.success ? (parsed.data.message ?? parsed.data.detail ?? parsed.data.error) : `HTTP ${response.status}`;
  const field = parsed.success && parsed.data.field ? `${parsed.data.field}: ` : '';
  // A refused input will be refused again anywhere; busy or not ready may pass on another try.
  if (response.status === 400) return new EngineError(`the engine refused the request: ${field}${detail}`, false);
  return new EngineError(`the engine could not take the request (${response.status}): ${detail}`, true);
}

function streamOf(body: ReadableStream<Uint8Array>): Readable {
  return Readable.fromWeb(body as WebReadableStream<Uint8Array>);
}

function forwardLog(log: Logger, line: string): void {
  const parsed = safeJson(line);
  if (parsed && typeof parsed === 'object' && 'message' in parsed) {
    const { level, message, ...fields } = parsed as { level?: string; message: unknown } & Record<string, unknown>;
    const flat = Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, typeof value === 'object' ? JSON.stringify(value) : (value as string | number | boolean | null)]));
    const write = level === 'error' ? log.error : level === 'warn' ? log.warn : level === 'debug' ? log.debug : log.info;
    write.call(log, `engine: ${String(message)}`, flat);
  } else if (line.trim() !== '') {
    log.info('engine output', { line: line.slice(0, 2000) });
  }
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

function describeExit(exit: { code: number | null; signal: NodeJS.Signals | null }): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
