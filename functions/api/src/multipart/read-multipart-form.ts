import { Readable } from 'node:stream';
import { ProblemError } from '@kontext/core';
import busboy from 'busboy';
import { valueOfTextPart, type FormFields } from './form-fields.ts';

// A multipart/form-data body read as it streams in, into the JSON text of the same request: image
// file parts are base64-encoded chunk by chunk as they arrive (never held whole as bytes), every
// part is bounded, and a refusal names the part. The JSON text then goes through exactly the
// validation, idempotency fingerprint and submit a JSON body goes through.

export interface MultipartLimits {
  /** Largest file part (an image's own size limit). */
  maxFileBytes: number;
  /** Largest text part; image fields may be text (base64), so this is the body limit. */
  maxTextBytes: number;
}

/** Every field of a submit, with room for unknown ones to be named by the schema rather than cut off here. */
const MAX_PARTS = 64;
const MAX_FIELD_NAME_BYTES = 200;

export async function readMultipartForm(request: Request, fields: FormFields, limits: MultipartLimits): Promise<string> {
  const contentType = request.headers.get('content-type') ?? '';
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': contentType },
      limits: {
        fileSize: limits.maxFileBytes,
        fieldSize: limits.maxTextBytes,
        fieldNameSize: MAX_FIELD_NAME_BYTES,
        parts: MAX_PARTS,
      },
    });
  } catch {
    throw new ProblemError('malformed_request', 'a multipart/form-data body needs a boundary parameter in Content-Type', {
      issues: [{ field: 'content-type', message: 'has no boundary parameter' }],
    });
  }
  if (!request.body) throw new ProblemError('malformed_request', 'the multipart/form-data body is empty');

  const json = new JsonObjectWriter();
  const seen = new Set<string>();
  let refusal: ProblemError | undefined;
  const refuse = (problem: ProblemError): void => {
    refusal ??= problem;
  };
  const claimName = (name: string, truncated: boolean): boolean => {
    if (truncated) {
      refuse(partProblem('validation_failed', name.slice(0, 40), `has a name longer than ${MAX_FIELD_NAME_BYTES} bytes`));
      return false;
    }
    if (seen.has(name)) {
      refuse(partProblem('validation_failed', name, 'is sent twice; send each field once'));
      return false;
    }
    seen.add(name);
    return true;
  };

  parser.on('field', (name, value, info) => {
    if (refusal || !claimName(name, info.nameTruncated)) return;
    if (info.valueTruncated) {
      refuse(tooLarge(name, limits.maxTextBytes));
      return;
    }
    json.value(name, valueOfTextPart(value, fields.types.get(name)));
  });

  parser.on('file', (name, stream, info) => {
    if (refusal || !claimName(name, false)) {
      stream.resume();
      return;
    }
    if (!fields.fileFields.has(name)) {
      stream.resume();
      // A field the schema knows is text; one it does not know is left for the schema to name (with its reason).
      if (fields.types.has(name)) refuse(partProblem('validation_failed', name, 'is a file part; send it as a text field'));
      else json.value(name, info.filename ?? '');
      return;
    }
    const encoder = json.base64(name);
    stream.on('data', (chunk: Buffer) => encoder.write(chunk));
    stream.on('limit', () => refuse(tooLarge(name, limits.maxFileBytes)));
    stream.on('end', () => encoder.end());
  });

  parser.on('partsLimit', () => refuse(new ProblemError('payload_too_large', `a multipart body may have at most ${MAX_PARTS} parts`, { extensions: { limit_parts: MAX_PARTS } })));

  const finished = new Promise<void>((resolve, reject) => {
    parser.on('close', resolve);
    parser.on('error', reject);
  });
  const source = Readable.fromWeb(request.body as import('node:stream/web').ReadableStream<Uint8Array>);
  source.on('error', (error) => parser.destroy(error));
  source.pipe(parser);
  try {
    await finished;
  } catch (error) {
    source.destroy();
    // The body limit's own refusal (a body over MAX_BODY_BYTES) passes through as it is.
    if (error instanceof ProblemError) throw error;
    if (isParserError(error)) throw new ProblemError('malformed_request', `the multipart/form-data body is malformed: ${error.message}`);
    throw error;
  }
  if (refusal) throw refusal;
  return json.close();
}

/**
 * The request's JSON text, written as parts arrive. Base64 needs no escaping inside a JSON string,
 * so a file's base64 chunks go in as they are; other values are JSON.stringify'd.
 */
class JsonObjectWriter {
  private readonly fragments: string[] = ['{'];
  private readonly pending: (() => void)[] = [];
  private count = 0;

  value(name: string, value: unknown): void {
    this.key(name);
    this.fragments.push(JSON.stringify(value));
  }

  base64(name: string): { write(chunk: Buffer): void; end(): void } {
    this.key(name);
    // The string's slot is placed now, quotes and all: a later part may be written before this one's end.
    this.fragments.push('"', '', '"');
    const slot = this.fragments.length - 2;
    const encoded: string[] = [];
    // Base64 encodes 3 bytes at a time: whatever is left of a chunk waits for the next one.
    let carry: Buffer = Buffer.alloc(0);
    let done = false;
    const end = (): void => {
      if (done) return;
      done = true;
      if (carry.length > 0) encoded.push(carry.toString('base64'));
      this.fragments[slot] = encoded.join('');
      encoded.length = 0;
    };
    this.pending.push(end);
    return {
      write: (chunk) => {
        const bytes = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
        const whole = bytes.length - (bytes.length % 3);
        encoded.push(bytes.subarray(0, whole).toString('base64'));
        carry = Buffer.from(bytes.subarray(whole));
      },
      end,
    };
  }

  close(): string {
    for (const end of this.pending) end();
    this.fragments.push('}');
    const text = this.fragments.join('');
    this.fragments.length = 0;
    return text;
  }

  private key(name: string): void {
    if (this.count > 0) this.fragments.push(',');
    this.count += 1;
    this.fragments.push(JSON.stringify(name), ':');
  }
}

function partProblem(kind: 'validation_failed', field: string, message: string): ProblemError {
  return new ProblemError(kind, `${field}: ${message}`, { issues: [{ field, message }] });
}

function tooLarge(field: string, limit: number): ProblemError {
  const message = `is larger than the limit of ${limit} bytes for one part`;
  return new ProblemError('payload_too_large', `${field}: ${message}`, { issues: [{ field, message }], extensions: { limit_bytes: limit } });
}

/** busboy's own errors (a truncated body, a malformed part header), as opposed to the source's. */
function isParserError(error: unknown): error is Error {
  return error instanceof Error && /^(Unexpected end of form|Malformed part header|Multipart:|Unexpected end of file)/.test(error.message);
}
