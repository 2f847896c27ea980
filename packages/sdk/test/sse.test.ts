import { describe, expect, it } from 'vitest';
import { readEventStream, SseParser, type ServerSentEvent } from '../src/events.ts';

// The event-stream rules the reader must follow, fed in awkward chunks.

function parse(chunks: string[], initialLastEventId = ''): { events: ServerSentEvent[]; retries: number[]; comments: string[]; lastEventId: string } {
  const events: ServerSentEvent[] = [];
  const retries: number[] = [];
  const comments: string[] = [];
  const parser = new SseParser(
    { onEvent: (event) => events.push(event), onRetry: (ms) => retries.push(ms), onComment: (text) => comments.push(text) },
    initialLastEventId,
  );
  for (const chunk of chunks) parser.feed(chunk);
  parser.end();
  return { events, retries, comments, lastEventId: parser.lastEventId };
}

/** Every way of cutting `text` into two chunks, so no line end or field may depend on chunk boundaries. */
function everySplit(text: string): string[][] {
  return Array.from({ length: text.length + 1 }, (_, i) => [text.slice(0, i), text.slice(i)]);
}

describe('SseParser', () => {
  it('reads event, id and data, and keeps the last id', () => {
    const { events, lastEventId } = parse(['event: status\nid: 7\ndata: {"a":1}\n\n']);
    expect(events).toEqual([{ type: 'status', data: '{"a":1}', lastEventId: '7' }]);
    expect(lastEventId).toBe('7');
  });

  it('joins multi-line data with LF and defaults the type to message', () => {
    expect(parse(['data: first\ndata:second\ndata\n\n']).events).toEqual([{ type: 'message', data: 'first\nsecond\n', lastEventId: '' }]);
  });

  it('treats CRLF, LF and CR alike, wherever a chunk ends', () => {
    const text = 'id: 1\r\nevent: progress\rdata: x\r\n\r\nid: 2\ndata: y\n\n';
    for (const chunks of everySplit(text)) {
      expect(parse(chunks).events, JSON.stringify(chunks)).toEqual([
        { type: 'progress', data: 'x', lastEventId: '1' },
        { type: 'message', data: 'y', lastEventId: '2' },
      ]);
    }
  });

  it('skips comments (keep-alives) and dispatches nothing for a block without data', () => {
    const { events, comments, lastEventId } = parse([': keep-alive\n\nid: 5\n\n:another\ndata: z\n\n']);
    expect(comments).toEqual(['keep-alive', 'another']);
    // The id-only block set the last event id without dispatching.
    expect(events).toEqual([{ type: 'message', data: 'z', lastEventId: '5' }]);
    expect(lastEventId).toBe('5');
  });

  it('reads retry: only when it is all digits', () => {
    expect(parse(['retry: 500\n\nretry: soon\n\nretry: 1.5\n\n']).retries).toEqual([500]);
  });

  it('ignores an id holding NUL, and unknown fields', () => {
    expect(parse(['id: 3\n\nid: a\0b\nfoo: bar\ndata: d\n\n']).events).toEqual([{ type: 'message', data: 'd', lastEventId: '3' }]);
  });

  it('drops an event that the stream cut before its blank line', () => {
    expect(parse(['id: 1\ndata: done\n\nid: 2\ndata: half']).events).toEqual([{ type: 'message', data: 'done', lastEventId: '1' }]);
  });

  it('strips a leading byte order mark and only one space after the colon', () => {
    expect(parse(['\uFEFFdata:  two spaces\n\n']).events).toEqual([{ type: 'message', data: ' two spaces', lastEventId: '' }]);
  });

  it('starts from the id it was given (a resumed stream)', () => {
    expect(parse(['data: next\n\n'], '41').events).toEqual([{ type: 'message', data: 'next', lastEventId: '41' }]);
  });
});

describe('readEventStream', () => {
  /** A body that hands out `parts` one read at a time, then ends, or breaks with `fail`. */
  const streamOf = (parts: Uint8Array[], fail?: Error) => {
    const queue = [...parts];
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = queue.shift();
        if (next) controller.enqueue(next);
        else if (fail) controller.error(fail);
        else controller.close();
      },
    });
  };

  it('decodes UTF-8 split across chunks', async () => {
    const bytes = new TextEncoder().encode('data: café ☕\n\n');
    const events: ServerSentEvent[] = [];
    const parser = new SseParser({ onEvent: (event) => events.push(event) });
    await readEventStream(streamOf([bytes.slice(0, 10), bytes.slice(10, 11), bytes.slice(11)]), parser);
    expect(events.map((event) => event.data)).toEqual(['café ☕']);
  });

  it('rejects when the connection breaks, keeping the last id for a resume', async () => {
    const parser = new SseParser({ onEvent: () => {} });
    const cut = new TypeError('terminated');
    await expect(readEventStream(streamOf([new TextEncoder().encode('id: 9\ndata: a\n\n')], cut), parser)).rejects.toBe(cut);
    expect(parser.lastEventId).toBe('9');
  });

  it('stops with the signal\'s reason when aborted', async () => {
    const controller = new AbortController();
    const never = new ReadableStream<Uint8Array>({ start() {} });
    const reading = readEventStream(never, new SseParser({ onEvent: () => {} }), controller.signal);
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(reading).rejects.toBe(reason);
  });
});
