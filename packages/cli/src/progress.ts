import { Presets, SingleBar } from 'cli-progress';
import { println, type OutputStream } from './io.ts';

// How a wait shows itself, always on stderr (stdout carries only the command's result): a bar
// redrawn in place on a terminal, plain lines elsewhere (a log, a CI job, a pipe).

export interface ProgressUpdate {
  /** 0..1 */
  progress: number;
  status: string;
}

export interface ProgressReporter {
  update(update: ProgressUpdate): void;
  /** Ends the display (the bar keeps its last state on screen). Safe to call more than once. */
  stop(): void;
}

export function createProgress(stream: OutputStream, jobId: string, tty: boolean): ProgressReporter {
  return tty ? new BarProgress(stream, jobId) : new LineProgress(stream, jobId);
}

class BarProgress implements ProgressReporter {
  readonly #bar: SingleBar;
  #running = true;

  constructor(stream: OutputStream, jobId: string) {
    this.#bar = new SingleBar(
      {
        stream,
        format: `${jobId} {bar} {percentage}% | {status}`,
        barsize: 30,
        hideCursor: true,
        clearOnComplete: false,
        // Ctrl-C is the command's to handle (it says how to pick the job up again).
        gracefulExit: false,
      },
      Presets.shades_classic,
    );
    this.#bar.start(100, 0, { status: 'queued' });
  }

  update({ progress, status }: ProgressUpdate): void {
    if (!this.#running) return;
    this.#bar.update(Math.round(clamp(progress) * 100), { status });
  }

  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#bar.stop();
  }
}

/** A line when the status changes and at every tenth of the steps, so a log stays short. */
class LineProgress implements ProgressReporter {
  #status: string | undefined;
  #tenth = -1;

  constructor(
    private readonly stream: OutputStream,
    private readonly jobId: string,
  ) {}

  update({ progress, status }: ProgressUpdate): void {
    const percent = Math.round(clamp(progress) * 100);
    const tenth = Math.floor(percent / 10);
    if (status === this.#status && tenth <= this.#tenth) return;
    this.#status = status;
    this.#tenth = Math.max(this.#tenth, tenth);
    println(this.stream, `${this.jobId} ${status} ${percent}%`);
  }

  stop(): void {}
}

function clamp(progress: number): number {
  return Number.isFinite(progress) ? Math.min(1, Math.max(0, progress)) : 0;
}
