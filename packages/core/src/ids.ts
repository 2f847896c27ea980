// Prefixed, time-sortable identifiers: `job_01JD3M5X...`. The 26-character body is a ULID
// (48-bit millisecond timestamp + 80 random bits, Crockford base32), so ids sort by creation
// time and a support ticket tells at a glance what kind of thing an id names.

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const BODY_LENGTH = 26;
const TIME_LENGTH = 10;

export const ID_PREFIXES = {
  tenant: 'ten',
  apiKey: 'key',
  job: 'job',
  asset: 'ast',
  request: 'req',
  worker: 'wrk',
  webhookEndpoint: 'whe',
  webhookMessage: 'msg',
  user: 'usr',
  session: 'ses',
  invitation: 'inv',
  userToken: 'tok',
  auditEntry: 'aud',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;
export type IdPrefix = (typeof ID_PREFIXES)[IdKind];

let lastTime = -1;
const lastRandom = new Uint8Array(10);

function encodeTime(ms: number): string {
  let out = '';
  let value = ms;
  for (let i = 0; i < TIME_LENGTH; i++) {
    out = ALPHABET[value % 32] + out;
    value = Math.floor(value / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  // 80 bits -> 16 base32 characters, most significant first.
  let out = '';
  let bitBuffer = 0;
  let bitCount = 0;
  for (const byte of bytes) {
    bitBuffer = (bitBuffer << 8) | byte;
    bitCount += 8;
    while (bitCount >= 5) {
      bitCount -= 5;
      out += ALPHABET[(bitBuffer >> bitCount) & 31];
    }
    bitBuffer &= (1 << bitCount) - 1;
  }
  return out;
}

function incrementRandom(bytes: Uint8Array): boolean {
  for (let i = bytes.length - 1; i >= 0; i--) {
    const next = (bytes[i] ?? 0) + 1;
    if (next <= 255) {
      bytes[i] = next;
      return true;
    }
    bytes[i] = 0;
  }
  return false;
}

/** A new ULID body; monotonic within one process even when several ids share a millisecond. */
export function newUlid(now: number = Date.now()): string {
  if (now <= lastTime) {
    if (!incrementRandom(lastRandom)) {
      globalThis.crypto.getRandomValues(lastRandom);
    }
  } else {
    lastTime = now;
    globalThis.crypto.getRandomValues(lastRandom);
  }
  return encodeTime(lastTime) + encodeRandom(lastRandom);
}

export function newId(kind: IdKind, now?: number): string {
  return `${ID_PREFIXES[kind]}_${newUlid(now)}`;
}

const ID_PATTERN = new RegExp(`^([a-z]{3})_[${ALPHABET}]{${BODY_LENGTH}}$`);

/** True when `value` is a well-formed id of the given kind. Cheap: lets routes refuse garbage before any query. */
export function isId(kind: IdKind, value: string): boolean {
  const match = ID_PATTERN.exec(value);
  return match !== null && match[1] === ID_PREFIXES[kind];
}

/** The creation time encoded in an id, in epoch milliseconds. */
export function idTimestamp(id: string): number {
  const body = id.slice(id.indexOf('_') + 1, id.indexOf('_') + 1 + TIME_LENGTH);
  let value = 0;
  for (const char of body) {
    value = value * 32 + ALPHABET.indexOf(char);
  }
  return value;
}
