import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MODEL_CATALOG,
  INPUT_IMAGE_FIELDS,
  MAX_INPUT_IMAGES,
  MAX_PROMPT_CHARS,
  ModelCatalogSchema,
  ModelProfileSchema,
  SubmitRequestSchema,
  UNSUPPORTED_FIELDS,
  findProfile,
  unknownFieldMessage,
  type ModelProfile,
} from '../src/index.ts';

const TINY_PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

function minimalRequest(): Record<string, unknown> {
  return { prompt: 'Make the sky purple' };
}

function fullRequest(): Record<string, unknown> {
  return {
    prompt: 'Put the cat from image 2 on the sofa in image 1',
    input_image: `data:image/png;base64,${TINY_PNG_BASE64}`,
    input_image_2: TINY_PNG_BASE64,
    input_image_3: 'https://images.example.com/three.jpg',
    input_image_4: 'http://images.example.com/four.webp',
    seed: 42,
    aspect_ratio: '16:9',
    output_format: 'jpeg',
    webhook_url: 'https://hooks.example.com/kontext?tenant=1',
    webhook_secret: 's3cret',
    prompt_upsampling: false,
    safety_tolerance: 2,
    steps: 28,
    guidance: 2.5,
  };
}

/** Every optional field set to null: BFL clients send nulls for "not given". */
function allNullRequest(): Record<string, unknown> {
  const request: Record<string, unknown> = { prompt: 'A red bicycle' };
  for (const field of Object.keys(fullRequest())) if (field !== 'prompt') request[field] = null;
  return request;
}

function issuesFor(request: Record<string, unknown>) {
  const result = SubmitRequestSchema.safeParse(request);
  expect(result.success, JSON.stringify(request).slice(0, 200)).toBe(false);
  return result.error?.issues ?? [];
}

/** Asserts the request is refused with an issue on `field`. */
function expectRefusedAt(request: Record<string, unknown>, field: string): void {
  const issues = issuesFor(request);
  expect(issues.map((i) => i.path.join('.'))).toContain(field);
}

function profile(overrides: Partial<ModelProfile> = {}): ModelProfile {
  return {
    id: 'test-model',
    displayName: 'Test model',
    description: 'A profile for tests.',
    weights: 'FLUX.1-Kontext-dev',
    enginePool: 'kontext-dev',
    includedMegapixels: 1.1,
    pricePerExtraMegapixel: 0,
    maxActiveJobsPerTenant: null,
    stepCache: false,
    defaultSteps: 28,
    maxSteps: 50,
    defaultGuidance: 2.5,
    priceCredits: 3,
    maxInputImages: 4,
    ...overrides,
  };
}

describe('SubmitRequestSchema accepts', () => {
  it('a minimal BFL request (prompt only)', () => {
    expect(SubmitRequestSchema.parse(minimalRequest())).toEqual(minimalRequest());
  });

  it('a full request with every field', () => {
    expect(SubmitRequestSchema.parse(fullRequest())).toEqual(fullRequest());
  });

  it('a request with every optional field null', () => {
    expect(SubmitRequestSchema.parse(allNullRequest())).toEqual(allNullRequest());
  });

  it('covers every schema field in the full request', () => {
    expect(Object.keys(fullRequest()).sort()).toEqual(Object.keys(SubmitRequestSchema.shape).sort());
  });

  it('a prompt of exactly the maximum length', () => {
    expect(SubmitRequestSchema.safeParse({ prompt: 'x'.repeat(MAX_PROMPT_CHARS) }).success).toBe(true);
  });

  it.each([0, 1, 2 ** 32, Number.MAX_SAFE_INTEGER])('seed %d', (seed) => {
    expect(SubmitRequestSchema.safeParse({ ...minimalRequest(), seed }).success).toBe(true);
  });

  it.each([0, 6])('safety_tolerance %d', (safety_tolerance) => {
    expect(SubmitRequestSchema.safeParse({ ...minimalRequest(), safety_tolerance }).success).toBe(true);
  });

  it.each(['png', 'jpeg'])('output_format %s', (output_format) => {
    expect(SubmitRequestSchema.safeParse({ ...minimalRequest(), output_format }).success).toBe(true);
  });

  it('a webhook_url of exactly 2083 characters', () => {
    const url = `https://hooks.example.com/${'a'.repeat(2083 - 'https://hooks.example.com/'.length)}`;
    expect(url).toHaveLength(2083);
    expect(SubmitRequestSchema.safeParse({ ...minimalRequest(), webhook_url: url }).success).toBe(true);
  });

  it('every valid aspect ratio in the shared vectors', () => {
    for (const text of vectorAspectRatios('valid')) {
      expect(SubmitRequestSchema.safeParse({ ...minimalRequest(), aspect_ratio: text }).success, text).toBe(true);
    }
  });
});

describe('SubmitRequestSchema refuses', () => {
  it.each([
    ['empty prompt', { prompt: '' }, 'prompt'],
    ['whitespace-only prompt', { prompt: ' \n\t  ' }, 'prompt'],
    ['prompt over 10000 characters', { prompt: 'x'.repeat(MAX_PROMPT_CHARS + 1) }, 'prompt'],
    ['non-string prompt', { prompt: 42 }, 'prompt'],
    ['negative seed', { prompt: 'p', seed: -1 }, 'seed'],
    ['non-integer seed', { prompt: 'p', seed: 1.5 }, 'seed'],
    ['seed above the safe integer range', { prompt: 'p', seed: Number.MAX_SAFE_INTEGER + 2 }, 'seed'],
    ['string seed', { prompt: 'p', seed: '42' }, 'seed'],
    ['aspect_ratio 22:9', { prompt: 'p', aspect_ratio: '22:9' }, 'aspect_ratio'],
    ['aspect_ratio 16/9', { prompt: 'p', aspect_ratio: '16/9' }, 'aspect_ratio'],
    ['output_format gif', { prompt: 'p', output_format: 'gif' }, 'output_format'],
    ['output_format webp', { prompt: 'p', output_format: 'webp' }, 'output_format'],
    ['safety_tolerance 7', { prompt: 'p', safety_tolerance: 7 }, 'safety_tolerance'],
    ['safety_tolerance -1', { prompt: 'p', safety_tolerance: -1 }, 'safety_tolerance'],
    ['safety_tolerance 2.5', { prompt: 'p', safety_tolerance: 2.5 }, 'safety_tolerance'],
    ['webhook_url ftp://x', { prompt: 'p', webhook_url: 'ftp://x' }, 'webhook_url'],
    ['webhook_url javascript:', { prompt: 'p', webhook_url: 'javascript:alert(1)' }, 'webhook_url'],
    ['webhook_url not a URL', { prompt: 'p', webhook_url: 'not a url' }, 'webhook_url'],
    ['webhook_url over 2083 characters', { prompt: 'p', webhook_url: `https://hooks.example.com/${'a'.repeat(2100)}` }, 'webhook_url'],
    ['empty webhook_secret', { prompt: 'p', webhook_secret: '' }, 'webhook_secret'],
    ['steps 0', { prompt: 'p', steps: 0 }, 'steps'],
    ['steps 101', { prompt: 'p', steps: 101 }, 'steps'],
    ['guidance 0.5', { prompt: 'p', guidance: 0.5 }, 'guidance'],
    ['guidance 10.5', { prompt: 'p', guidance: 10.5 }, 'guidance'],
    ['empty input_image', { prompt: 'p', input_image: '' }, 'input_image'],
    ['numeric input_image_2', { prompt: 'p', input_image_2: 7 }, 'input_image_2'],
  ])('%s', (_label, request, field) => {
    expectRefusedAt(request, field);
  });

  it('a request without a prompt', () => {
    expectRefusedAt({ seed: 1 }, 'prompt');
  });

  it('the empty-prompt refusal says it must not be empty', () => {
    const issues = issuesFor({ prompt: '   ' });
    expect(issues.map((i) => i.message)).toContain('must not be empty');
  });

  it('prompt_upsampling true is not refused (BFL clients send it in their own examples)', () => {
    expect(SubmitRequestSchema.safeParse({ prompt: 'p', prompt_upsampling: true }).success).toBe(true);
  });

  it('an out-of-bounds aspect_ratio with the bounds in the message', () => {
    const issues = issuesFor({ prompt: 'p', aspect_ratio: '22:9' });
    const message = issues.find((i) => i.path[0] === 'aspect_ratio')?.message ?? '';
    expect(message).toContain('9:21');
    expect(message).toContain('21:9');
  });

  it('every invalid aspect ratio in the shared vectors', () => {
    const invalid = vectorAspectRatios('invalid');
    expect(invalid.length).toBeGreaterThan(5);
    for (const text of invalid) expectRefusedAt({ prompt: 'p', aspect_ratio: text }, 'aspect_ratio');
  });

  it.each(['width', 'height', 'mask', 'raw', 'image_prompt', 'input_image_5', 'foo'])('the unknown field %s (strict object)', (field) => {
    const issues = issuesFor({ ...minimalRequest(), [field]: 1 });
    const unknown = issues.find((i) => i.code === 'unrecognized_keys');
    expect(unknown).toBeDefined();
    expect(unknown && 'keys' in unknown ? unknown.keys : []).toEqual([field]);
  });

  it('an otherwise valid full request with one unknown field', () => {
    expect(SubmitRequestSchema.safeParse({ ...fullRequest(), input_image_5: TINY_PNG_BASE64 }).success).toBe(false);
  });
});

describe('unknownFieldMessage', () => {
  it.each([5, 6, 7, 8, 9, 10])('input_image_%i names the limit of 4 input images', (n) => {
    const message = unknownFieldMessage(`input_image_${n}`);
    expect(MAX_INPUT_IMAGES).toBe(4);
    expect(message).toContain('at most 4 input images');
    expect(message).toContain('input_image_4');
  });

  it.each([
    ['width', /aspect_ratio/],
    ['height', /aspect_ratio/],
    ['mask', /masks are not supported/],
    ['raw', /raw mode is not supported/],
    ['image_prompt', /input_image_2\.\.input_image_4/],
    ['image_prompt_strength', /image_prompt is not supported/],
    ['interval', /interval is not supported/],
  ])('%s gives its specific message', (field, pattern) => {
    expect(unknownFieldMessage(field)).toMatch(pattern);
    expect(unknownFieldMessage(field)).toBe(UNSUPPORTED_FIELDS[field]);
  });

  it.each(['foo', 'input_image_', 'input_images', 'Input_Image_5', 'prompt2'])('%s is just an unknown field', (field) => {
    expect(unknownFieldMessage(field)).toBe('unknown field');
  });

  it('a field named like an Object.prototype member is an unknown field, and the message is a string', () => {
    // A client can send {"prompt": "...", "constructor": 1}; the strict schema reports the key and the
    // API puts this message into the 422 problem document.
    for (const field of ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__']) {
      const message: unknown = unknownFieldMessage(field);
      expect(typeof message, field).toBe('string');
      expect(message, field).toBe('unknown field');
    }
  });

  it('input_image .. input_image_4 are schema fields, so only input_image_5 and above reach the limit message', () => {
    for (const field of INPUT_IMAGE_FIELDS) expect(Object.keys(SubmitRequestSchema.shape)).toContain(field);
    expect(INPUT_IMAGE_FIELDS).toHaveLength(MAX_INPUT_IMAGES);
  });
});

describe('ModelCatalogSchema', () => {
  it('accepts the default catalog unchanged', () => {
    expect(ModelCatalogSchema.parse(DEFAULT_MODEL_CATALOG)).toEqual(DEFAULT_MODEL_CATALOG);
  });

  it("the default catalog offers BFL's three Kontext route names and the step-caching profile", () => {
    expect(DEFAULT_MODEL_CATALOG.map((p) => p.id)).toEqual(['flux-kontext-dev', 'flux-kontext-dev-fast', 'flux-kontext-pro', 'flux-kontext-max']);
    // Step caching is an approximation a tenant picks by name, never a default.
    expect(DEFAULT_MODEL_CATALOG.filter((p) => p.stepCache).map((p) => p.id)).toEqual(['flux-kontext-dev-fast']);
    expect(findProfile(DEFAULT_MODEL_CATALOG, 'flux-kontext-pro')?.priceCredits).toBe(4);
    expect(findProfile(DEFAULT_MODEL_CATALOG, 'flux-pro-1.1')).toBeUndefined();
  });

  it('accepts a catalog of distinct profiles', () => {
    expect(ModelCatalogSchema.safeParse([profile({ id: 'a-1' }), profile({ id: 'b-2' })]).success).toBe(true);
  });

  it('refuses duplicate model ids', () => {
    const result = ModelCatalogSchema.safeParse([profile({ id: 'same-id' }), profile({ id: 'other' }), profile({ id: 'same-id', priceCredits: 9 })]);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toContain('model ids must be unique');
  });

  it('refuses defaultSteps above maxSteps, naming defaultSteps', () => {
    const result = ModelCatalogSchema.safeParse([profile({ defaultSteps: 51, maxSteps: 50 })]);
    expect(result.success).toBe(false);
    const issue = result.error?.issues.find((i) => i.message === 'defaultSteps must not exceed maxSteps');
    expect(issue?.path).toEqual([0, 'defaultSteps']);
  });

  it('accepts defaultSteps equal to maxSteps', () => {
    expect(ModelProfileSchema.safeParse(profile({ defaultSteps: 50, maxSteps: 50 })).success).toBe(true);
  });

  it('refuses an empty catalog', () => {
    expect(ModelCatalogSchema.safeParse([]).success).toBe(false);
  });

  it.each([
    ['an uppercase id', { id: 'Flux' }],
    ['a one-character id', { id: 'a' }],
    ['an id starting with a dash', { id: '-flux' }],
    ['more than 4 input images', { maxInputImages: 5 }],
    ['a negative price', { priceCredits: -1 }],
    ['a fractional price', { priceCredits: 1.5 }],
    ['zero steps', { defaultSteps: 0 }],
    ['guidance above 20', { defaultGuidance: 21 }],
    ['an empty display name', { displayName: '' }],
  ])('refuses a profile with %s', (_label, overrides) => {
    expect(ModelProfileSchema.safeParse(profile(overrides)).success).toBe(false);
  });
});

interface VectorCase {
  aspect_ratio?: string;
  error?: string;
}

/** Aspect ratio texts from the shared size vectors, valid or invalid. */
function vectorAspectRatios(kind: 'valid' | 'invalid'): string[] {
  const parsed: unknown = JSON.parse(readFileSync(new URL('../vectors/output-sizes.json', import.meta.url), 'utf8'));
  const cases = (parsed as { cases: VectorCase[] }).cases;
  return cases
    .filter((c) => c.aspect_ratio !== undefined && (kind === 'invalid') === (c.error !== undefined))
    .map((c) => c.aspect_ratio ?? '');
}
