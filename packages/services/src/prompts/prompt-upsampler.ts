// The prompt upsampler port: something that rewrites a prompt in more detail before the engine
// runs it. Its adapter is an OpenAI-compatible chat-completions endpoint
// (openai-compatible-upsampler.ts); the verb that uses it is jobs/upsample-job-prompt.ts.

export interface UpsampleRequest {
  /** The prompt as the client sent it. */
  prompt: string;
  /** An edit instruction for an input image, or a text-to-image prompt: they are rewritten differently. */
  task: 'edit' | 'generate';
}

export interface PromptUpsampler {
  /** Names the upsampler in logs: the endpoint's origin and model, never its key or path. */
  readonly description: string;
  /** The rewritten prompt, or a PromptUpsamplingError saying why there is none to use. */
  upsample(request: UpsampleRequest, options: { signal: AbortSignal }): Promise<string>;
}

export type PromptUpsamplingFailure =
  /** The endpoint's address is one the SSRF guard refuses (private, loopback, reserved), or its URL is invalid. */
  | 'refused_target'
  /** DNS, connection or transfer failed. */
  | 'unreachable'
  | 'timeout'
  /** The caller gave up (the job was canceled or its worker is stopping). */
  | 'aborted'
  | 'http_status'
  /** An answer arrived but holds no usable prompt: not JSON, no content, empty, too long, NUL, cut off. */
  | 'bad_answer';

export class PromptUpsamplingError extends Error {
  constructor(
    readonly reason: PromptUpsamplingFailure,
    message: string,
  ) {
    super(message);
    this.name = 'PromptUpsamplingError';
  }
}
