import { guardedPost, GuardedFetchError, type GuardedFetchFailure, type Resolver } from '@kontext/net';
import { PromptUpsamplingError, type PromptUpsampler, type PromptUpsamplingFailure, type UpsampleRequest } from './prompt-upsampler.ts';
import { readUpsampledPrompt } from './read-upsampled-prompt.ts';

// The prompt upsampler as an OpenAI-compatible chat completion (`POST <url>/chat/completions`):
// what OpenAI, vLLM, llama.cpp's server, Ollama and most gateways speak. The endpoint is the
// operator's, yet it is reached through the SSRF guard like any other outbound request: a
// misconfigured or re-pointed name cannot reach the cloud metadata service or the internal
// network unless the operator says the upsampler lives there.

/**
 * What the model is asked to do. Kontext reads an edit as an instruction and a generation as a
 * description, so the answer is asked to stay that kind of text, keep the intent and any quoted
 * text exactly, and be the prompt alone, since it goes to the engine as it is.
 */
export const UPSAMPLER_SYSTEM_PROMPT = [
  'You improve prompts for FLUX.1 Kontext, an image model that generates images from a description and edits an input image by following an instruction.',
  'Rewrite the prompt you are given into a more detailed one that keeps its intent and contradicts nothing in it.',
  'For a text-to-image prompt, describe the subject, setting, composition, lighting, colours, style and mood wherever the prompt leaves them open.',
  'For an edit instruction (you cannot see the image), say precisely what should change, and say that everything else stays as it is: identity, pose, framing, style and background.',
  'Keep any words the image should show inside quotation marks, exactly as given.',
  'Write in the language of the prompt, as one paragraph of at most 120 words.',
  'Answer with the rewritten prompt only: no introduction, no explanation, no list, no quotation marks around it.',
].join(' ');

export interface OpenAiCompatibleUpsamplerOptions {
  /** Base URL; `/chat/completions` is appended. */
  url: string;
  model: string;
  /** Sent as `Authorization: Bearer`; kept in a private field so no log or dump of this object shows it. */
  apiKey?: string | undefined;
  timeoutSeconds: number;
  allowPrivateNetworks: boolean;
  maxResponseBytes: number;
  /** DNS, for tests that aim a hostname at a chosen address. */
  resolve?: Resolver;
}

export class OpenAiCompatibleUpsampler implements PromptUpsampler {
  readonly description: string;
  readonly #endpoint: string;
  readonly #model: string;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;
  readonly #allowPrivateNetworks: boolean;
  readonly #maxResponseBytes: number;
  readonly #resolve: Resolver | undefined;

  constructor(options: OpenAiCompatibleUpsamplerOptions) {
    this.#endpoint = `${options.url.replace(/\/+$/, '')}/chat/completions`;
    this.#model = options.model;
    this.#apiKey = options.apiKey;
    this.#timeoutMs = Math.round(options.timeoutSeconds * 1000);
    this.#allowPrivateNetworks = options.allowPrivateNetworks;
    this.#maxResponseBytes = options.maxResponseBytes;
    this.#resolve = options.resolve;
    this.description = `${new URL(options.url).origin} (${options.model})`;
  }

  async upsample(request: UpsampleRequest, options: { signal: AbortSignal }): Promise<string> {
    const body = JSON.stringify({
      model: this.#model,
      messages: [
        { role: 'system', content: UPSAMPLER_SYSTEM_PROMPT },
        { role: 'user', content: userMessage(request) },
      ],
      stream: false,
    });
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.#apiKey) headers.authorization = `Bearer ${this.#apiKey}`;
    let response: Awaited<ReturnType<typeof guardedPost>>;
    try {
      response = await guardedPost(this.#endpoint, body, {
        allowPrivateNetworks: this.#allowPrivateNetworks,
        timeoutMs: this.#timeoutMs,
        maxResponseBytes: this.#maxResponseBytes,
        headers,
        signal: options.signal,
        ...(this.#resolve ? { resolve: this.#resolve } : {}),
      });
    } catch (error) {
      if (error instanceof GuardedFetchError) throw new PromptUpsamplingError(FAILURES[error.reason], messageOf(error));
      throw error;
    }
    // The status only: an error body may echo part of the key (some providers quote it back).
    if (response.status < 200 || response.status > 299) throw new PromptUpsamplingError('http_status', `the upsampler answered HTTP ${response.status}`);
    if (response.truncated) throw new PromptUpsamplingError('bad_answer', `the upsampler's answer is larger than ${this.#maxResponseBytes} bytes`);
    return readUpsampledPrompt(response.excerpt);
  }
}

function userMessage(request: UpsampleRequest): string {
  return request.task === 'edit'
    ? `Edit instruction for the input image:\n${request.prompt}`
    : `Text-to-image prompt:\n${request.prompt}`;
}

const FAILURES: Record<GuardedFetchFailure, PromptUpsamplingFailure> = {
  invalid_url: 'refused_target',
  blocked_address: 'refused_target',
  dns_failure: 'unreachable',
  too_many_redirects: 'unreachable',
  http_status: 'http_status',
  too_large: 'bad_answer',
  timeout: 'timeout',
  aborted: 'aborted',
  network: 'unreachable',
};

function messageOf(error: GuardedFetchError): string {
  switch (error.reason) {
    case 'blocked_address':
      return `refused before connecting: ${error.message} (ALLOW_PRIVATE_PROMPT_UPSAMPLER=true lets the upsampler be on a private network)`;
    case 'timeout':
      return `the upsampler did not answer in time: ${error.message}`;
    case 'aborted':
      return 'the request to the upsampler was abandoned: the job stopped';
    default:
      return `the upsampler could not be reached: ${error.message}`;
  }
}
