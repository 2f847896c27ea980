import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

// A real OpenAI-compatible chat-completions server for tests, on 127.0.0.1: it records every
// request (path, headers, parsed body) and answers like a language model would, with a more
// detailed prompt. A marker in the prompt scripts a failure instead, so one server serves every
// case of a file whose platform is configured once.

export const UPSAMPLER_MARKERS = {
  /** Answer HTTP 500 with an error body that quotes the key back, as some providers do. */
  serverError: '[upsampler:500]',
  /** Never answer (until the server stops). */
  hang: '[upsampler:hang]',
} as const;

const ChatRequestSchema = z.object({
  model: z.string(),
  messages: z.array(z.object({ role: z.string(), content: z.string() })),
});

export type ChatRequest = z.infer<typeof ChatRequestSchema>;

export interface RecordedUpsamplerRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: ChatRequest;
  /** The last user message: the task's label line, then the prompt. */
  userMessage: string;
}

/** The detailed prompt this server makes of a prompt: deterministic, so tests can name it. */
export function detailedPromptFor(prompt: string): string {
  return `${prompt}, seen up close in soft morning light, fine surface detail, shallow depth of field`;
}

export class UpsamplerServer {
  readonly requests: RecordedUpsamplerRequest[] = [];
  readonly #server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => this.#answer(request.method ?? '', request.url ?? '/', request.headers, Buffer.concat(chunks).toString('utf8'), response));
  });
  #origin = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#origin = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  /** An address on this server, e.g. `url('/v1')` as the upsampler's base URL. */
  url(path: string): string {
    return `${this.#origin}${path}`;
  }

  /** The requests whose prompt (after the task line) is exactly `prompt`. */
  requestsFor(prompt: string): RecordedUpsamplerRequest[] {
    return this.requests.filter((request) => request.userMessage.split('\n').slice(1).join('\n') === prompt);
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #answer(method: string, path: string, headers: IncomingHttpHeaders, text: string, response: ServerResponse): void {
    const parsed = ChatRequestSchema.safeParse(safeJson(text));
    if (!parsed.success) {
      response.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"not a chat completion request"}}');
      return;
    }
    const userMessage = parsed.data.messages.filter((message) => message.role === 'user').at(-1)?.content ?? '';
    this.requests.push({ method, path, headers, body: parsed.data, userMessage });
    if (userMessage.includes(UPSAMPLER_MARKERS.hang)) return;
    if (userMessage.includes(UPSAMPLER_MARKERS.serverError)) {
      const quoted = headers.authorization ?? 'none';
      response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `upstream failure for ${quoted}` } }));
      return;
    }
    const prompt = userMessage.split('\n').slice(1).join('\n');
    const completion = {
      id: 'chatcmpl-test',
      object: 'chat.completion',
      model: parsed.data.model,
      // Blank edges and quotes around the answer, as models write it despite being asked not to.
      choices: [{ index: 0, message: { role: 'assistant', content: `\n "${detailedPromptFor(prompt)}" \n` }, finish_reason: 'stop' }],
    };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(completion));
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
