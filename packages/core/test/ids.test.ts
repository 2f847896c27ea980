import { describe, expect, it, vi } from 'vitest';
import { ID_PREFIXES, idTimestamp, isId, newId, type IdKind } from '../src/index.ts';

// The id generator keeps per-process state (last time, last random part). Tests that pick
// explicit times load a fresh copy of the module so that no other test's ids influence them.
type CoreModule = typeof import('../src/index.ts');

async function freshIdModule(): Promise<CoreModule> {
  vi.resetModules();
  return import('../src/index.ts');
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ALL_KINDS = Object.keys(ID_PREFIXES) as IdKind[];

/** An id of `kind` with a body built from the given characters (no generator involved). */
function handMadeId(kind: IdKind, body: string): string {
  return `${ID_PREFIXES[kind]}_${body}`;
}

/** A lexicographic (code unit) comparison, the order a database index on text uses for ASCII. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

describe('id format', () => {
  it('uses the documented three-letter prefix for every kind', () => {
    expect(ID_PREFIXES).toEqual({
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
    });
  });

  it.each(ALL_KINDS)('a new %s id is "<prefix>_" followed by 26 Crockford base32 characters', (kind) => {
    const id = newId(kind);
    expect(id).toHaveLength(ID_PREFIXES[kind].length + 1 + 26);
    expect(id.startsWith(`${ID_PREFIXES[kind]}_`)).toBe(true);
    expect(id.slice(4)).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it('never uses the letters Crockford base32 leaves out (I, L, O, U) or lowercase', () => {
    const bodies = Array.from({ length: 500 }, () => newId('job').slice(4)).join('');
    expect(bodies).not.toMatch(/[ILOUa-z]/);
  });

  it('encodes the ULID maximum time as 7ZZZZZZZZZ', async () => {
    const ids = await freshIdModule();
    const id = ids.newId('job', 2 ** 48 - 1);
    expect(id.slice(4, 14)).toBe('7ZZZZZZZZZ');
  });

  it('encodes time zero as ten zeros', async () => {
    const ids = await freshIdModule();
    expect(ids.newId('job', 0).slice(4, 14)).toBe('0000000000');
  });
});

describe('isId', () => {
  it.each(ALL_KINDS)('accepts freshly made %s ids', (kind) => {
    for (let i = 0; i < 20; i++) expect(isId(kind, newId(kind))).toBe(true);
  });

  it('accepts a hand-made id using every character of the alphabet', () => {
    expect(isId('job', handMadeId('job', CROCKFORD.slice(0, 26)))).toBe(true);
    expect(isId('job', handMadeId('job', CROCKFORD.slice(6, 32)))).toBe(true);
  });

  it('refuses an id of another kind, for every pair of kinds', () => {
    for (const made of ALL_KINDS) {
      const id = newId(made);
      for (const asked of ALL_KINDS) {
        expect(isId(asked, id), `${asked} vs ${id}`).toBe(asked === made);
      }
    }
  });

  it('refuses a body one character too short or too long', () => {
    const id = newId('job');
    expect(isId('job', id.slice(0, -1))).toBe(false);
    expect(isId('job', `${id}0`)).toBe(false);
  });

  it('refuses a lowercase body', () => {
    const id = newId('job');
    expect(isId('job', `job_${id.slice(4).toLowerCase()}`)).toBe(false);
  });

  it('refuses an uppercase prefix', () => {
    expect(isId('job', `JOB_${newId('job').slice(4)}`)).toBe(false);
  });

  it.each(['I', 'L', 'O', 'U', '-', '_', ' '])('refuses a body containing %j', (char) => {
    const body = newId('job').slice(4);
    expect(isId('job', handMadeId('job', `${char}${body.slice(1)}`))).toBe(false);
  });

  it.each([
    ['empty string', ''],
    ['prefix only', 'job_'],
    ['no separator', `job${'0'.repeat(26)}`],
    ['other separator', `job-${'0'.repeat(26)}`],
    ['leading space', ` job_${'0'.repeat(26)}`],
    ['trailing newline', `job_${'0'.repeat(26)}\n`],
    ['double prefix', `job_job_${'0'.repeat(22)}`],
  ])('refuses garbage: %s', (_label, value) => {
    expect(isId('job', value)).toBe(false);
  });
});

describe('time ordering', () => {
  it('ids made at increasing times sort lexicographically in creation order', async () => {
    const ids = await freshIdModule();
    // Times chosen so that base32 digits carry over (31 -> 32, 1023 -> 1024, ...).
    const times = [0, 1, 31, 32, 33, 1023, 1024, 32_767, 32_768, 1_000_000, 2 ** 32, 1_700_000_000_000, 1_700_000_000_001, 2 ** 47, 2 ** 48 - 2];
    const made = times.map((time) => ids.newId('job', time));
    const shuffled = [...made].reverse();
    shuffled.push(...shuffled.splice(0, 5));
    expect(shuffled.sort(byCodeUnits)).toEqual(made);
  });

  it('ids made a millisecond apart with the real clock sort in creation order', async () => {
    const ids = await freshIdModule();
    const start = Date.now();
    const made = Array.from({ length: 200 }, (_, i) => ids.newId('asset', start + i));
    expect([...made].sort(byCodeUnits)).toEqual(made);
  });

  it('many ids made in the same millisecond are unique and strictly increasing', async () => {
    const ids = await freshIdModule();
    const time = 1_750_000_000_000;
    const made = Array.from({ length: 5000 }, () => ids.newId('job', time));
    expect(new Set(made).size).toBe(made.length);
    for (let i = 1; i < made.length; i++) {
      const previous = made[i - 1] ?? '';
      const current = made[i] ?? '';
      expect(current > previous, `${current} > ${previous}`).toBe(true);
    }
    expect(made.every((id) => ids.idTimestamp(id) === time)).toBe(true);
  });

  it('ids made without an explicit time in a tight loop are unique and strictly increasing', () => {
    const made = Array.from({ length: 5000 }, () => newId('request'));
    expect(new Set(made).size).toBe(made.length);
    for (let i = 1; i < made.length; i++) {
      expect((made[i] ?? '') > (made[i - 1] ?? '')).toBe(true);
    }
  });

  it('an id made after the clock steps back still sorts after the earlier ids', async () => {
    const ids = await freshIdModule();
    const first = ids.newId('job', 1_750_000_000_500);
    const afterStepBack = ids.newId('job', 1_750_000_000_000);
    expect(afterStepBack > first).toBe(true);
  });

  it('ids made at the same time in separate processes differ in their random part', async () => {
    const a = (await freshIdModule()).newId('job', 1_750_000_000_000);
    const b = (await freshIdModule()).newId('job', 1_750_000_000_000);
    expect(a.slice(0, 14)).toBe(b.slice(0, 14));
    expect(a).not.toBe(b);
  });
});

describe('idTimestamp', () => {
  it('returns the time an id was made with, across the whole ULID range', async () => {
    const ids = await freshIdModule();
    // Increasing, because a time earlier than the last one is treated as the same millisecond.
    const times = [0, 1, 31, 32, 1023, 1024, 86_400_000, 2 ** 40 + 12_345, 1_234_567_890_123, 1_750_000_000_000, 2 ** 48 - 1];
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    for (const time of times) {
      expect(ids.idTimestamp(ids.newId('worker', time))).toBe(time);
    }
  });

  it('returns the current time for an id made with the real clock', async () => {
    const ids = await freshIdModule();
    const before = Date.now();
    const id = ids.newId('tenant');
    const after = Date.now();
    const time = ids.idTimestamp(id);
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(after);
  });

  it.each(ALL_KINDS)('reads the time whatever the prefix (%s)', async (kind) => {
    const ids = await freshIdModule();
    expect(ids.idTimestamp(ids.newId(kind, 1_600_000_000_000))).toBe(1_600_000_000_000);
  });

  it('decodes a hand-made body', () => {
    // 1 * 32 + 2 = 34 ms.
    expect(idTimestamp(handMadeId('job', `0000000012${'0'.repeat(16)}`))).toBe(34);
  });
});
