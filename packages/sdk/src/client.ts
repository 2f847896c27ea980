import type { CallOptions } from './call-options.ts';
import { KontextInputError } from './errors.ts';
import { imageToWire } from './images.ts';
import { Job, type JobContext } from './job.ts';
import { AssetsResource } from './resources/assets.ts';
import { getCredits, getLedger } from './resources/credits.ts';
import { JobsResource } from './resources/jobs.ts';
import { KeysResource } from './resources/keys.ts';
import { ModelsResource } from './resources/models.ts';
import { TeamResource } from './resources/team.ts';
import { getUsage } from './resources/usage.ts';
import { WebhooksResource } from './resources/webhooks.ts';
import {
  DEFAULT_MODEL,
  referenceFields,
  wireFields,
  type ContinueEditOptions,
  type EditOptions,
  type GenerateOptions,
  type SubmitOptions,
  type WireBody,
} from './submit.ts';
import { Transport, type FetchFunction } from './transport.ts';
import type { Credits, LedgerPage, LedgerQuery, SubmitResponse, Usage, UsageQuery } from './types.ts';

export interface KontextOptions {
  /** A tenant key (`kx_live_…` or `kx_test_…`), sent as `x-key`. */
  apiKey: string;
  /** Default `http://localhost:8787` (where `npm start` serves); a trailing slash is fine. */
  baseUrl?: string;
  /** Replaces the global fetch (a proxy, a test double, an app called in process). */
  fetch?: FetchFunction;
  /** Retries of 429, 503 and network errors per call, with backoff, honouring Retry-After. Default 3. */
  maxRetries?: number;
  userAgent?: string;
}

export const DEFAULT_BASE_URL = 'http://localhost:8787';
const DEFAULT_MAX_RETRIES = 3;

/** The platform's tenant API: submits, edits and their jobs, keys, webhooks, usage, credits and assets. */
export class Kontext {
  readonly jobs: JobsResource;
  readonly models: ModelsResource;
  readonly keys: KeysResource;
  readonly webhooks: WebhooksResource;
  readonly assets: AssetsResource;
  readonly team: TeamResource;
  readonly #transport: Transport;
  readonly #jobContext: JobContext;

  constructor(options: KontextOptions) {
    if (typeof options.apiKey !== 'string' || options.apiKey.trim() === '') throw new KontextInputError('is required', { field: 'apiKey' });
    const baseUrl = options.baseUrl ?? DEFAULT_BASE_URL;
    try {
      new URL(baseUrl);
    } catch {
      throw new KontextInputError(`is not a URL: ${baseUrl}`, { field: 'baseUrl' });
    }
    // The global fetch is looked up per call, not captured here, so a fetch patched later still applies.
    const fetchFunction: FetchFunction = options.fetch ?? ((input, init) => fetch(input, init));
    this.#transport = new Transport({
      apiKey: options.apiKey,
      baseUrl,
      fetch: fetchFunction,
      maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
      ...(options.userAgent !== undefined ? { userAgent: options.userAgent } : {}),
    });
    this.#jobContext = { transport: this.#transport, continueEdit: (jobId, edit) => this.continueEdit(jobId, edit) };
    this.jobs = new JobsResource(this.#transport);
    this.models = new ModelsResource(this.#transport);
    this.keys = new KeysResource(this.#transport);
    this.webhooks = new WebhooksResource(this.#transport);
    this.assets = new AssetsResource(this.#transport);
    this.team = new TeamResource(this.#transport);
  }

  /** The base URL requests go to, without a trailing slash. */
  get baseUrl(): string {
    return this.#transport.baseUrl;
  }

  /** Edits `image` as the prompt says; references are character or style images. */
  async edit(options: EditOptions): Promise<Job> {
    const body: WireBody = {
      prompt: options.prompt,
      input_image: await imageToWire(options.image, 'input_image'),
      ...(await referenceFields(options.references)),
      ...wireFields(options),
    };
    return this.#submit(options, body);
  }

  /** Text-to-image. */
  async generate(options: GenerateOptions): Promise<Job> {
    const body: WireBody = { prompt: options.prompt, ...(await referenceFields(options.references)), ...wireFields(options) };
    return this.#submit(options, body);
  }

  /**
   * A new edit of that job's output, with no re-upload: model, aspect ratio, format, sampling,
   * references and webhook are inherited unless given here.
   */
  async continueEdit(jobId: string, options: ContinueEditOptions): Promise<Job> {
    const body: WireBody = {
      prompt: options.prompt,
      ...(await referenceFields(options.references)),
      ...wireFields(options),
      ...(options.model !== undefined ? { model: options.model } : {}),
    };
    const submitted = await this.#transport.json<SubmitResponse>({
      method: 'POST',
      path: `/v1/jobs/${encodeURIComponent(jobId)}/edits`,
      json: body,
      signal: options.signal,
      idempotencyKey: options.idempotencyKey,
    });
    return new Job(this.#jobContext, submitted.id, submitted);
  }

  /** A handle on an existing job; makes no request. */
  job(jobId: string): Job {
    return new Job(this.#jobContext, jobId);
  }

  usage(query: UsageQuery = {}, options: CallOptions = {}): Promise<Usage> {
    return getUsage(this.#transport, query, options);
  }

  credits(options: CallOptions = {}): Promise<Credits> {
    return getCredits(this.#transport, options);
  }

  ledger(query: LedgerQuery = {}, options: CallOptions = {}): Promise<LedgerPage> {
    return getLedger(this.#transport, query, options);
  }

  async #submit(options: SubmitOptions, body: WireBody): Promise<Job> {
    const model = options.model ?? DEFAULT_MODEL;
    const submitted = await this.#transport.json<SubmitResponse>({
      method: 'POST',
      path: `/v1/${encodeURIComponent(model)}`,
      json: body,
      signal: options.signal,
      idempotencyKey: options.idempotencyKey,
    });
    return new Job(this.#jobContext, submitted.id, submitted);
  }
}
