import { KontextApiError, KontextInputError, KontextJobError, KontextNetworkError } from '@kontext/sdk';

// Every way a command can end, as an exit code and the few lines it prints. Refusals (of a flag,
// of an input, by the API) are expected outcomes: they print what was refused, never a stack.

export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  api: 3,
  job: 4,
  network: 5,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `Exit codes:
  0    success
  1    anything unexpected (one line; KONTEXT_DEBUG=1 prints the stack)
  2    usage error: a bad flag or argument, no API key, or an input refused before upload
  3    the API refused the request (its detail, the field at fault and the request id are printed)
  4    the job failed, was moderated or was canceled
  5    the server could not be reached
  130  interrupted (Ctrl-C) while waiting; the job keeps running`;

/** A command used wrongly, or something refused locally before any request: exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Ctrl-C while waiting for a job. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
  constructor(readonly jobId: string) {
    super(`interrupted; job ${jobId} keeps running (\`kontext jobs wait ${jobId}\` picks it up again)`);
  }
}

export interface Failure {
  code: ExitCode;
  lines: string[];
}

export function describeFailure(error: unknown, options: { debug: boolean; baseUrl?: string | undefined }): Failure {
  if (error instanceof UsageError) return { code: EXIT.usage, lines: [`error: ${error.message}`] };
  if (error instanceof InterruptedError) return { code: EXIT.interrupted, lines: [error.message] };
  if (error instanceof KontextInputError) {
    return { code: EXIT.usage, lines: [`error: ${error.detail}`, ...(error.field ? [`field: ${error.field}`] : [])] };
  }
  if (error instanceof KontextApiError) {
    const lines = [`error: ${error.detail || error.title || `HTTP ${error.status}`}`];
    if (error.field) lines.push(`field: ${error.field}`);
    for (const issue of error.issues ?? []) {
      if (issue.field !== error.field) lines.push(`field: ${issue.field}: ${issue.message}`);
    }
    if (error.retryAfterSeconds !== undefined) lines.push(`retry after: ${error.retryAfterSeconds} s`);
    lines.push(`status: ${error.status}${error.requestId ? `, request id: ${error.requestId}` : ''}`);
    if (error.status === 401) lines.push('hint: check the key (`kontext login`, KONTEXT_API_KEY or --api-key)');
    return { code: EXIT.api, lines };
  }
  if (error instanceof KontextJobError) {
    const why = error.error ?? error.reason;
    return { code: EXIT.job, lines: [`error: job ${error.jobId} ${String(error.status)}${why ? `: ${why}` : ''}`] };
  }
  if (error instanceof KontextNetworkError) {
    const cause = causeOf(error);
    return {
      code: EXIT.network,
      lines: [`error: could not reach ${options.baseUrl ?? 'the server'}${cause ? `: ${cause}` : ''}`, ...debugLines(error, options.debug)],
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: EXIT.unexpected, lines: [`error: ${message.split('\n')[0] ?? message}`, ...debugLines(error, options.debug)] };
}

function causeOf(error: Error): string | undefined {
  const parts: string[] = [];
  let cause: unknown = error.cause;
  while (cause instanceof Error && parts.length < 3) {
    const code = (cause as NodeJS.ErrnoException).code;
    parts.push(code && !cause.message.includes(code) ? `${cause.message} (${code})` : cause.message);
    cause = cause.cause;
  }
  return parts.length > 0 ? parts.join(': ') : error.message;
}

function debugLines(error: unknown, debug: boolean): string[] {
  if (!debug) return [];
  return error instanceof Error && error.stack ? error.stack.split('\n') : [];
}
