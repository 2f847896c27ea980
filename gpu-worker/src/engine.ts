import type { ImageFormat, OutputFormat } from '@kontext/core';

// The engine boundary: the only thing the worker agent asks of a model process. Narrow on
// purpose (cog-like: start once, predict many times, report progress, honour cancel), so that the
// Python Kontext engine can sit behind it as a separate process over a local protocol. The agent
// owns queue, storage and database; an engine only turns inputs into an image.

export interface EngineImage {
  bytes: Uint8Array;
  format: ImageFormat;
  /** The first image is the one being edited; the rest are character or style references. */
  role: 'context' | 'reference';
}

export interface EngineRequest {
  jobId: string;
  model: string;
  prompt: string;
  images: EngineImage[];
  seed: number;
  width: number;
  height: number;
  steps: number;
  guidance: number;
  outputFormat: OutputFormat;
  /** The model profile asks for step caching (an approximation; see the catalog). */
  stepCache: boolean;
}

export interface EngineProgress {
  step: number;
  totalSteps: number;
}

export interface EngineOutput {
  image: Uint8Array;
  format: OutputFormat;
  width: number;
  height: number;
}

export type EngineHealth =
  | { state: 'loading' }
  | { state: 'ready' }
  | { state: 'failed'; message: string };

export interface Engine {
  /** Names the engine in job and asset records, e.g. `preview-cpu/1`. */
  readonly id: string;
  /** Loads whatever the engine needs; resolves when it can predict. */
  start(): Promise<void>;
  health(): EngineHealth;
  /** Runs one prediction. Aborting `signal` cancels it between steps with an EngineCanceled error. */
  predict(
    request: EngineRequest,
    options: { signal: AbortSignal; onProgress: (progress: EngineProgress) => void },
  ): Promise<EngineOutput>;
  stop(): Promise<void>;
}

/** A failure of one prediction. `retryable` says whether another attempt (maybe elsewhere) could succeed. */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export class EngineCanceled extends Error {
  constructor(reason: string) {
    super(`prediction canceled: ${reason}`);
    this.name = 'EngineCanceled';
  }
}
