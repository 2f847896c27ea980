// What the command line touches of its process, passed in so that tests (and other embedders) can
// give it their own streams and environment. The defaults are the process's own.

export type OutputStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export type InputStream = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(mode: boolean): unknown };

export interface CliIo {
  /** The whole environment; the CLI reads its own variables (KONTEXT_*, XDG_CONFIG_HOME, HOME) from it. */
  env: Record<string, string | undefined>;
  stdin: InputStream;
  stdout: OutputStream;
  stderr: OutputStream;
  /** Whether stderr is a terminal: progress is drawn as a bar there, as plain lines otherwise. */
  isTTY: boolean;
  /** Where relative output paths are resolved. */
  cwd: string;
  /** Subscribes to Ctrl-C for the duration of a wait; returns the unsubscribe function. */
  onInterrupt(listener: () => void): () => void;
}

export function processIo(): CliIo {
  // `kontext jobs list | head -1`: a reader that stops early is not an error worth a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  return {
    env: process.env,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: process.stderr.isTTY === true,
    cwd: process.cwd(),
    onInterrupt(listener) {
      process.on('SIGINT', listener);
      return () => process.off('SIGINT', listener);
    },
  };
}

/** Writes a line (or several) to a stream. */
export function println(stream: OutputStream, text = ''): void {
  stream.write(`${text}\n`);
}
