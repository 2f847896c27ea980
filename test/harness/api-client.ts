// A small HTTP client over real fetch for tests: the API is exercised exactly as clients use it.

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface GetResultBody {
  id: string;
  status: string;
  result: { sample: string; prompt: string; seed: number; start_time: number; end_time: number; duration: number } | null;
  progress: number | null;
  details: { status: string; engine: string | null; width: number; height: number; output_format: string; error?: string } | null;
}

export interface SubmitBody {
  id: string;
  polling_url: string;
  cost: number;
  input_mp: number;
  output_mp: number;
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly apiKey: string,
    /** How the credential travels: BFL's x-key header, or a Bearer token (the operator API's). */
    readonly credential: 'key' | 'admin' = 'key',
  ) {}

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
    const response = await fetch(new URL(path, this.baseUrl), { method, headers, body: body as string | undefined });
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
    return this.request<SubmitBody>('POST', `/v1/${options.model ?? 'flux-kontext-dev'}`, {
      json,
      key: options.key,
      ...(options.headers ? { headers: options.headers } : {}),
    });
  }

  getResult(id: string, key?: string) {
    return this.request<GetResultBody>('GET', `/v1/get_result?id=${encodeURIComponent(id)}`, key ? { key } : {});
  }

  /** Polls until the job leaves Pending (or the predicate holds), then returns the last answer. */
  async waitForResult(
    id: string,
    options: { timeoutMs?: number; until?: (body: GetResultBody) => boolean; key?: string } = {},
  ): Promise<GetResultBody> {
    const deadline = Date.now() + (options.timeoutMs ?? 20_000);
    const until = options.until ?? ((body) => body.status !== 'Pending');
    for (;;) {
      const response = await this.getResult(id, options.key);
      if (response.status === 429) {
        // Polled faster than the key's rate limit: back off as told, like a well-behaved client.
        await new Promise((resolve) => setTimeout(resolve, Number(response.headers.get('retry-after') ?? 1) * 1000));
        continue;
      }
      if (until(response.body)) return response.body;
      if (Date.now() > deadline) throw new Error(`job ${id} still ${JSON.stringify(response.body)} after timeout`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async submitAndWait(json: unknown, options: { model?: string } = {}): Promise<GetResultBody> {
    const submitted = await this.submit(json, options);
    if (submitted.status !== 200) throw new Error(`submit failed: ${submitted.status} ${submitted.text}`);
    return this.waitForResult(submitted.body.id);
  }
}
