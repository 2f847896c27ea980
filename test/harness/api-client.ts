import type { GetResultResponse, SubmitResponse } from '@kontext/core';
import { sleep } from '@kontext/core';

// A small HTTP client for tests: the API is exercised exactly as clients use it, either over a
// real socket (the global fetch) or in process through the Hono app (`app.request`), where
// nothing under test depends on the socket. Response types are the contract's own.

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** How a request reaches the API: the global fetch by default, or e.g. `(url, init) => app.request(url, init)`. */
export type ApiFetch = (url: URL, init: RequestInit) => Response | Promise<Response>;

export interface ApiClientOptions {
  fetch?: ApiFetch;
}

export class ApiClient {
  readonly #fetch: ApiFetch;

  constructor(
    readonly baseUrl: string,
    readonly apiKey: string,
    /** How the credential travels: BFL's x-key header, or a Bearer token (the operator API's). */
    readonly credential: 'key' | 'admin' = 'key',
    options: ApiClientOptions = {},
  ) {
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
  }

  /** Another credential over the same transport (socket or in process). */
  withKey(apiKey: string, credential: 'key' | 'admin' = 'key'): ApiClient {
    return new ApiClient(this.baseUrl, apiKey, credential, { fetch: this.#fetch });
  }

  async request<T = unknown>(
    method: string,
    path: string,
    options: { json?: unknown; rawBody?: string | Uint8Array; headers?: Record<string, string>; key?: string | null } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const key = options.key === undefined ? this.apiKey : options.key;
    if (key !== null && !('authorization' in headers) && !('x-key' in headers)) {
      if (this.credential === 'admin') headers.authorization = `Bearer ${key}`;
      else headers['x-key'] = key;
    }
    let body: string | Uint8Array | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] ??= 'application/json';
    } else if (options.rawBody !== undefined) {
      body = options.rawBody;
    }
    const response = await this.#fetch(new URL(path, this.baseUrl), { method, headers, body: body as string | undefined });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  submit(json: unknown, options: { model?: string; key?: string | null; headers?: Record<string, string> } = {}) {
    return this.request<SubmitResponse>('POST', `/v1/${options.model ?? 'flux-kontext-dev'}`, {
      json,
      key: options.key,
      ...(options.headers ? { headers: options.headers } : {}),
    });
  }

  getResult(id: string, key?: string) {
    return this.request<GetResultResponse>('GET', `/v1/get_result?id=${encodeURIComponent(id)}`, key ? { key } : {});
  }

  /** Polls until the job leaves Pending (or the predicate holds), then returns the last answer. */
  async waitForResult(
    id: string,
    options: { timeoutMs?: number; until?: (body: GetResultResponse) => boolean; key?: string } = {},
  ): Promise<GetResultResponse> {
    const deadline = Date.now() + (options.timeoutMs ?? 20_000);
    const until = options.until ?? ((body) => body.status !== 'Pending');
    for (;;) {
      const response = await this.getResult(id, options.key);
      if (response.status === 429) {
        // Polled faster than the key's rate limit: back off as told, like a well-behaved client.
        await sleep(Number(response.headers.get('retry-after') ?? 1) * 1000);
        continue;
      }
      if (until(response.body)) return response.body;
      if (Date.now() > deadline) throw new Error(`job ${id} still ${JSON.stringify(response.body)} after timeout`);
      await sleep(25);
    }
  }

  async submitAndWait(json: unknown, options: { model?: string } = {}): Promise<GetResultResponse> {
    const submitted = await this.submit(json, options);
    if (submitted.status !== 200) throw new Error(`submit failed: ${submitted.status} ${submitted.text}`);
    return this.waitForResult(submitted.body.id);
  }
}
