import { abortReason } from './retry.ts';

// A Server-Sent Events reader over a fetch body, following the WHATWG event-stream rules: lines
// end in CRLF, LF or CR; `data:` lines accumulate (joined by LF); `id:` sets the last event id
// (kept across events, ignored if it holds NUL); `retry:` (digits only) sets the reconnection
// delay; `:` lines are comments (keep-alives); an event is dispatched at a blank line, and only if
// it has data. EventSource itself is not used: it cannot send the x-key header.

export interface ServerSentEvent {
  /** The `event:` field, `message` when absent. */
  type: string;
  data: string;
  /** The last `id:` seen so far in the stream (what a reconnect sends as Last-Event-ID), or ''. */
  lastEventId: string;
}

export interface SseHandlers {
  onEvent(event: ServerSentEvent): void;
  /** A `retry:` field: the server's reconnection delay in milliseconds. */
  onRetry?(milliseconds: number): void;
  /** A comment line (`: keep-alive`), without the colon. */
  onComment?(text: string): void;
}

/** Incremental parser: feed it decoded text in chunks of any size. */
export class SseParser {
  readonly #handlers: SseHandlers;
  #buffer = '';
  #started = false;
  /** A chunk ended in CR: a LF at the start of the next one belongs to the same line end. */
  #pendingCr = false;
  #data: string[] = [];
  #type = '';
  #lastEventId = '';

  constructor(handlers: SseHandlers, initialLastEventId = '') {
    this.#handlers = handlers;
    this.#lastEventId = initialLastEventId;
  }

  get lastEventId(): string {
    return this.#lastEventId;
  }

  feed(chunk: string): void {
    let text = chunk;
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.#pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.#pendingCr = false;
    this.#buffer += text;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.#buffer);
      if (!match) break;
      // A CR at the very end may be the first half of a CRLF split across chunks.
      if (match[0] === '\r' && match.index === this.#buffer.length - 1) this.#pendingCr = true;
      const line = this.#buffer.slice(0, match.index);
      this.#buffer = this.#buffer.slice(match.index + match[0].length);
      this.#line(line);
    }
  }

  /** The stream ended: an event without its closing blank line is dropped, as the standard says. */
  end(): void {
    this.#buffer = '';
    this.#data = [];
    this.#type = '';
  }

  #line(line: string): void {
    if (line === '') {
      this.#dispatch();
      return;
    }
    if (line.startsWith(':')) {
      this.#handlers.onComment?.(line.slice(1).trimStart());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.#type = value;
        break;
      case 'data':
        this.#data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.#lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.#handlers.onRetry?.(Number(value));
        break;
      default:
        // Unknown fields are ignored.
        break;
    }
  }

  #dispatch(): void {
    const data = this.#data;
    const type = this.#type;
    this.#data = [];
    this.#type = '';
    if (data.length === 0) return;
    this.#handlers.onEvent({ type: type === '' ? 'message' : type, data: data.join('\n'), lastEventId: this.#lastEventId });
  }
}

/**
 * Reads a whole event stream, calling the handlers as events complete. Resolves when the server
 * ends the stream; rejects with the signal's reason when aborted, or with the read error when
 * the connection breaks. The parser is the caller's, so its last event id survives a broken stream.
 */
export async function readEventStream(body: ReadableStream<Uint8Array>, parser: SseParser, signal?: AbortSignal): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const onAbort = () => {
    reader.cancel(signal ? abortReason(signal) : undefined).catch(() => {});
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (signal?.aborted) throw abortReason(signal);
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
    parser.feed(decoder.decode());
    parser.end();
  } catch (error) {
    if (signal?.aborted) throw abortReason(signal);
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    reader.releaseLock();
  }
}
