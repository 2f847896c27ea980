import { KontextInputError } from './errors.ts';
import { imageToWire, type ImageInput } from './images.ts';
import type { SubmitRequest } from './types.ts';

// Submit and edit bodies: the caller's options in the wire's names (snake_case, BFL's), images
// turned into wire strings, references placed in input_image_2..4.

type Wire<K extends keyof SubmitRequest> = NonNullable<SubmitRequest[K]>;

/** The wire's optional fields, plus how the call is made. */
export interface SubmitOptions {
  /** The model profile: the submit path /v1/<model> (for an edit, the body's `model`). Default `flux-kontext-dev`. */
  model?: string;
  aspect_ratio?: Wire<'aspect_ratio'>;
  seed?: Wire<'seed'>;
  output_format?: Wire<'output_format'>;
  steps?: Wire<'steps'>;
  guidance?: Wire<'guidance'>;
  safety_tolerance?: Wire<'safety_tolerance'>;
  prompt_upsampling?: Wire<'prompt_upsampling'>;
  webhook_url?: Wire<'webhook_url'>;
  webhook_secret?: Wire<'webhook_secret'>;
  /** Default: a fresh random key for this call, the same on each of its retries. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface EditOptions extends SubmitOptions {
  /** The image to edit. */
  image: ImageInput;
  prompt: string;
  /** Character or style references (input_image_2..4), at most 3. */
  references?: ImageInput[];
}

export interface GenerateOptions extends SubmitOptions {
  prompt: string;
  references?: ImageInput[];
}

export interface ContinueEditOptions extends SubmitOptions {
  prompt: string;
  /** Overrides the inherited references by position (input_image_2..4); null drops one, a hole keeps it. */
  references?: (ImageInput | null)[];
}

export const DEFAULT_MODEL = 'flux-kontext-dev';
export const MAX_REFERENCES = 3;

const WIRE_FIELDS = [
  'aspect_ratio',
  'seed',
  'output_format',
  'steps',
  'guidance',
  'safety_tolerance',
  'prompt_upsampling',
  'webhook_url',
  'webhook_secret',
] as const satisfies readonly (keyof SubmitOptions & keyof SubmitRequest)[];

export type WireBody = Record<string, string | number | boolean | null>;

/** The options that go on the wire as they are (undefined ones left out, so the server's defaults apply). */
export function wireFields(options: SubmitOptions): WireBody {
  const body: WireBody = {};
  for (const field of WIRE_FIELDS) {
    const value = options[field];
    if (value !== undefined) body[field] = value;
  }
  return body;
}

/** input_image_2..4 from a list of references; null stays null (drop an inherited one), holes are left out. */
export async function referenceFields(references: readonly (ImageInput | null | undefined)[] | undefined): Promise<WireBody> {
  if (references === undefined) return {};
  if (references.length > MAX_REFERENCES) {
    throw new KontextInputError(`has ${references.length} images; at most ${MAX_REFERENCES} are supported (input_image_2 .. input_image_4)`, {
      field: 'references',
    });
  }
  const body: WireBody = {};
  for (let index = 0; index < references.length; index++) {
    const reference = references[index];
    const field = `input_image_${index + 2}`;
    if (reference === null) body[field] = null;
    else if (reference !== undefined) body[field] = await imageToWire(reference, field);
  }
  return body;
}
