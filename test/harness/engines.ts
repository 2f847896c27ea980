import { PreviewEngine, WorkerAgent, type Engine, type EngineOutput, type EngineRequest } from '@kontext/gpu-worker';
import type { ServiceContext } from '@kontext/services';

/**
 * An engine that fails on cue: `script` sees the request and its attempt number on this engine
 * and returns an error to throw, or nothing to render a preview image.
 */
export class ScriptedEngine implements Engine {
  readonly id = 'scripted/1';
  readonly #attempts = new Map<string, number>();
  readonly #preview: PreviewEngine;
  readonly #script: (attempt: number, request: EngineRequest) => Error | undefined;

  constructor(script: (attempt: number, request: EngineRequest) => Error | undefined = () => undefined, options: { stepDelayMs?: number } = {}) {
    this.#script = script;
    this.#preview = new PreviewEngine(options);
  }

  attemptsOf(jobId: string): number {
    return this.#attempts.get(jobId) ?? 0;
  }

  async start(): Promise<void> {}
  health() {
    return { state: 'ready' } as const;
  }
  async stop(): Promise<void> {}

  async predict(request: EngineRequest, options: Parameters<Engine['predict']>[1]): Promise<EngineOutput> {
    const attempt = this.attemptsOf(request.jobId) + 1;
    this.#attempts.set(request.jobId, attempt);
    const failure = this.#script(attempt, request);
    if (failure) throw failure;
    return this.#preview.predict(request, options);
  }
}

/** Worker loops a test starts itself (on a platform run with workerLoops 0), stopped together. */
export class TestWorkers {
  readonly #agents: WorkerAgent[] = [];

  constructor(private readonly ctx: ServiceContext) {}

  start(engine: Engine, enginePool = 'kontext-dev'): WorkerAgent {
    const agent = new WorkerAgent({ ctx: this.ctx, engine, enginePool, receiveWaitSeconds: 1, retryDelaySeconds: 0 });
    agent.start();
    this.#agents.push(agent);
    return agent;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.#agents.splice(0).map((agent) => agent.stop(1000)));
  }
}
