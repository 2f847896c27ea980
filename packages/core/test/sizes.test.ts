import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ASPECT_RATIO_BOUNDS,
  PREFERRED_KONTEXT_RESOLUTIONS,
  contextSizeFor,
  megapixels,
  outputSizeFor,
  parseAspectRatio,
  snapToKontextResolution,
  type Size,
} from '../src/index.ts';

// The shared vectors are the contract with the Python engine: every case must hold here exactly.

const SizeJson = z.strictObject({ width: z.number().int(), height: z.number().int() });
const CaseJson = z.strictObject({
  aspect_ratio: z.string().optional(),
  input_image: SizeJson.optional(),
  output: SizeJson.optional(),
  context: SizeJson.optional(),
  error: z.literal('invalid_aspect_ratio').optional(),
});
const VectorsJson = z.object({
  description: z.string(),
  preferred_resolutions: z.array(z.tuple([z.number().int(), z.number().int()])),
  aspect_ratio_bounds: z.object({ min: z.string(), max: z.string() }),
  cases: z.array(CaseJson),
});
type OutputCase = z.infer<typeof CaseJson>;

function loadVectors() {
  const text = readFileSync(new URL('../vectors/output-sizes.json', import.meta.url), 'utf8');
  return VectorsJson.parse(JSON.parse(text));
}

const vectors = loadVectors();

function caseName(c: OutputCase): string {
  const parts: string[] = [];
  if (c.aspect_ratio !== undefined) parts.push(`aspect_ratio ${JSON.stringify(c.aspect_ratio)}`);
  if (c.input_image) parts.push(`input ${c.input_image.width}x${c.input_image.height}`);
  if (parts.length === 0) parts.push('no aspect_ratio, no input');
  return parts.join(' + ');
}

const errorCases = vectors.cases.filter((c) => c.error !== undefined);
const sizeCases = vectors.cases.filter((c) => c.error === undefined);

/** diffusers: `min((abs(r - w / h), w, h) for w, h in PREFERRED_KONTEXT_RESOLUTIONS)`, then floor to 16. */
function referenceSnap(ratio: number, table: readonly (readonly [number, number])[]): Size {
  const candidates = table.map(([w, h]) => [Math.abs(ratio - w / h), w, h] as const);
  candidates.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  const best = candidates[0];
  if (!best) throw new Error('empty table');
  return { width: Math.floor(best[1] / 16) * 16, height: Math.floor(best[2] / 16) * 16 };
}

/** A small deterministic PRNG (mulberry32) so failures are reproducible. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Whole-number W:H pairs (1..9999) inside 9:21..21:9, drawn from a seeded PRNG. */
function randomRatiosInBounds(count: number, seed: number): [number, number][] {
  const random = prng(seed);
  const out: [number, number][] = [];
  while (out.length < count) {
    const w = 1 + Math.floor(random() * 9999);
    const h = 1 + Math.floor(random() * 9999);
    if (w * 9 <= h * 21 && w * 21 >= h * 9) out.push([w, h]);
  }
  return out;
}

describe('output-sizes.json', () => {
  it('has enough cases of every kind that the checks below are not vacuous', () => {
    expect(errorCases.length).toBeGreaterThanOrEqual(10);
    expect(sizeCases.filter((c) => c.aspect_ratio !== undefined && !c.input_image).length).toBeGreaterThanOrEqual(15);
    expect(sizeCases.filter((c) => c.input_image && c.aspect_ratio === undefined).length).toBeGreaterThanOrEqual(15);
    expect(sizeCases.filter((c) => c.input_image && c.aspect_ratio !== undefined).length).toBeGreaterThanOrEqual(1);
    expect(sizeCases.filter((c) => !c.input_image && c.aspect_ratio === undefined).length).toBe(1);
  });

  it('lists exactly PREFERRED_KONTEXT_RESOLUTIONS, in order', () => {
    expect(vectors.preferred_resolutions).toEqual(PREFERRED_KONTEXT_RESOLUTIONS.map(([w, h]) => [w, h]));
  });

  it('states the same aspect ratio bounds as ASPECT_RATIO_BOUNDS', () => {
    expect(vectors.aspect_ratio_bounds).toEqual({
      min: ASPECT_RATIO_BOUNDS.min.join(':'),
      max: ASPECT_RATIO_BOUNDS.max.join(':'),
    });
  });

  it('gives every successful case an output size', () => {
    for (const c of sizeCases) expect(c.output, caseName(c)).toBeDefined();
  });

  describe.each(sizeCases.map((c) => [caseName(c), c] as const))('case %s', (_name, c) => {
    it('outputSizeFor gives the listed output size', () => {
      const size = outputSizeFor({ aspectRatio: c.aspect_ratio ?? null, firstInput: c.input_image ?? null });
      expect(size).toEqual(c.output);
    });

    if (c.aspect_ratio !== undefined) {
      const text = c.aspect_ratio;
      it('parseAspectRatio accepts the ratio and returns its parts', () => {
        const [w, h] = text.split(':').map(Number);
        expect(parseAspectRatio(text)).toEqual({ ok: true, width: w, height: h });
      });
    }

    if (c.context !== undefined) {
      const input = c.input_image;
      const context = c.context;
      it('contextSizeFor gives the listed context size', () => {
        expect(input).toBeDefined();
        if (input) expect(contextSizeFor(input)).toEqual(context);
      });
    }
  });

  describe.each(errorCases.map((c) => [c.aspect_ratio ?? '', c] as const))('invalid aspect_ratio %j', (text) => {
    it('parseAspectRatio refuses it with a reason', () => {
      const parsed = parseAspectRatio(text);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.reason.length).toBeGreaterThan(0);
    });

    it('outputSizeFor throws a RangeError naming aspect_ratio', () => {
      expect(() => outputSizeFor({ aspectRatio: text })).toThrow(RangeError);
      expect(() => outputSizeFor({ aspectRatio: text })).toThrow(/aspect_ratio/);
    });
  });
});

describe('PREFERRED_KONTEXT_RESOLUTIONS', () => {
  it('has 17 entries ordered from tallest to widest', () => {
    expect(PREFERRED_KONTEXT_RESOLUTIONS).toHaveLength(17);
    const ratios = PREFERRED_KONTEXT_RESOLUTIONS.map(([w, h]) => w / h);
    for (let i = 1; i < ratios.length; i++) expect(ratios[i]).toBeGreaterThan(ratios[i - 1] ?? Infinity);
  });

  it.each(PREFERRED_KONTEXT_RESOLUTIONS.map(([w, h]) => [w, h] as const))('%ix%i has both sides a multiple of 16', (w, h) => {
    expect(w % 16).toBe(0);
    expect(h % 16).toBe(0);
  });

  it.each(PREFERRED_KONTEXT_RESOLUTIONS.map(([w, h]) => [w, h] as const))('%ix%i is about one megapixel (0.98-1.07 MP)', (w, h) => {
    const mp = megapixels({ width: w, height: h });
    expect(mp).toBeGreaterThanOrEqual(0.98);
    expect(mp).toBeLessThanOrEqual(1.07);
  });

  it('is symmetric: every WxH has its HxW', () => {
    const keys = new Set(PREFERRED_KONTEXT_RESOLUTIONS.map(([w, h]) => `${w}x${h}`));
    for (const [w, h] of PREFERRED_KONTEXT_RESOLUTIONS) expect(keys.has(`${h}x${w}`), `${h}x${w}`).toBe(true);
  });

  it('snapping each entry\'s own ratio returns that entry', () => {
    for (const [w, h] of PREFERRED_KONTEXT_RESOLUTIONS) {
      expect(snapToKontextResolution(w / h)).toEqual({ width: w, height: h });
    }
  });
});

describe('parseAspectRatio bounds', () => {
  it.each(['21:9', '9:21', '7:3', '3:7', '2100:900', '900:2100', '1:1', '9999:9999', '1:2', '2:1'])('accepts %s', (text) => {
    expect(parseAspectRatio(text).ok).toBe(true);
  });

  it.each(['2101:900', '900:2101', '22:9', '9:22', '7:2', '2:7', '9999:1', '1:9999'])('refuses %s as out of bounds, naming them', (text) => {
    const parsed = parseAspectRatio(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.reason).toContain('9:21');
      expect(parsed.reason).toContain('21:9');
    }
  });

  it.each(['', ':', '1:', ':1', '1:1:1', '+1:1', '1 : 1', '1:1\n', '\n1:1', '１:１', '0x10:9', '1e3:999', '10000:10000'])(
    'refuses the malformed text %j',
    (text) => {
      expect(parseAspectRatio(text).ok).toBe(false);
    },
  );
});

describe('outputSizeFor precedence', () => {
  it('uses aspect_ratio over the first input image', () => {
    expect(outputSizeFor({ aspectRatio: '9:16', firstInput: { width: 4000, height: 3000 } })).toEqual({ width: 752, height: 1392 });
  });

  it('uses the first input image when aspect_ratio is null or absent', () => {
    expect(outputSizeFor({ aspectRatio: null, firstInput: { width: 1920, height: 1080 } })).toEqual({ width: 1392, height: 752 });
    expect(outputSizeFor({ firstInput: { width: 1080, height: 1920 } })).toEqual({ width: 752, height: 1392 });
  });

  it('is square without aspect_ratio or input', () => {
    expect(outputSizeFor({})).toEqual({ width: 1024, height: 1024 });
    expect(outputSizeFor({ aspectRatio: null, firstInput: null })).toEqual({ width: 1024, height: 1024 });
  });
});

describe('snapping rule (diffusers argmin)', () => {
  it('breaks an exact tie towards the narrower entry, as Python tuple comparison does', () => {
    // 64/59 lies exactly (in floating point) between 1024/1024 and 1104/944; 64/69 between 944/1104 and 1024/1024.
    expect(Math.abs(64 / 59 - 1)).toBe(Math.abs(64 / 59 - 1104 / 944));
    expect(outputSizeFor({ aspectRatio: '64:59' })).toEqual({ width: 1024, height: 1024 });
    expect(contextSizeFor({ width: 64, height: 59 })).toEqual({ width: 1024, height: 1024 });

    expect(Math.abs(64 / 69 - 944 / 1104)).toBe(Math.abs(64 / 69 - 1));
    expect(outputSizeFor({ aspectRatio: '64:69' })).toEqual({ width: 944, height: 1104 });
  });

  it('matches the reference argmin for 3000 random whole-number ratios within 9:21..21:9', () => {
    for (const [w, h] of randomRatiosInBounds(3000, 0x5eed)) {
      const expected = referenceSnap(w / h, vectors.preferred_resolutions);
      expect(outputSizeFor({ aspectRatio: `${w}:${h}` }), `${w}:${h}`).toEqual(expected);
      expect(contextSizeFor({ width: w, height: h }), `${w}x${h}`).toEqual(expected);
    }
  });

  it('matches the reference argmin for 3000 random real ratios within 9:21..21:9', () => {
    const random = prng(0xc0ffee);
    const low = Math.log(9 / 21);
    const high = Math.log(21 / 9);
    for (let i = 0; i < 3000; i++) {
      const ratio = Math.exp(low + random() * (high - low));
      expect(snapToKontextResolution(ratio), String(ratio)).toEqual(referenceSnap(ratio, vectors.preferred_resolutions));
    }
  });

  it('always yields a preferred resolution with sides a multiple of 16', () => {
    const preferred = new Set(vectors.preferred_resolutions.map(([w, h]) => `${w}x${h}`));
    for (const [w, h] of randomRatiosInBounds(2000, 42)) {
      const size = outputSizeFor({ aspectRatio: `${w}:${h}` });
      expect(size.width % 16).toBe(0);
      expect(size.height % 16).toBe(0);
      expect(preferred.has(`${size.width}x${size.height}`), `${w}:${h} -> ${size.width}x${size.height}`).toBe(true);
    }
  });

  it('is monotonic: a wider requested ratio never gives a narrower output', () => {
    const ratios = randomRatiosInBounds(2000, 7).map(([w, h]) => w / h).sort((a, b) => a - b);
    let previous = 0;
    for (const ratio of ratios) {
      const size = snapToKontextResolution(ratio);
      const outputRatio = size.width / size.height;
      expect(outputRatio).toBeGreaterThanOrEqual(previous);
      previous = outputRatio;
    }
  });
});
