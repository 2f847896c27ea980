import { z } from 'zod';

// Model profiles are operator settings: the three BFL route names are profiles over the open
// FLUX.1 Kontext [dev] weights (that is what self-hosters can run), differing in sampling
// settings and price. The catalog is data, validated at start; nothing else hard-codes a model.

export const MODEL_ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;

export const ModelProfileSchema = z
  .object({
    id: z.string().regex(MODEL_ID_PATTERN),
    displayName: z.string().min(1).max(100),
    description: z.string().max(500),
    /** Which weights the engine pool runs for this profile, stated so nobody mistakes a profile for another model. */
    weights: z.string().min(1).max(100),
    /** The worker pool (queue) that serves this profile. */
    enginePool: z.string().regex(MODEL_ID_PATTERN),
    defaultSteps: z.number().int().min(1).max(100),
    maxSteps: z.number().int().min(1).max(100),
    defaultGuidance: z.number().min(0).max(20),
    /** Price of one image up to `includedMegapixels` of output, in credits (1 credit = $0.01). */
    priceCredits: z.number().int().min(0).max(1_000_000),
    /** Output megapixels the base price covers; every Kontext size (1.03-1.06 MP) fits in the default. */
    includedMegapixels: z.number().positive().max(100).default(1.1),
    /** Credits per started megapixel beyond `includedMegapixels`. */
    pricePerExtraMegapixel: z.number().int().min(0).max(1_000_000).default(0),
    maxInputImages: z.number().int().min(0).max(4),
    /** Live jobs of this model one tenant may have queued or running (on top of the tenant's own limit). */
    maxActiveJobsPerTenant: z.number().int().min(1).max(10_000).nullable().default(null),
    /**
     * Step caching (First-Block-Cache): a step whose first transformer block barely changes reuses
     * the rest of the previous step's result. Faster, and not bit-identical to the same request
     * without it, so it is a profile a tenant picks knowingly, never a silent default.
     */
    stepCache: z.boolean().default(false),
  })
  .refine((p) => p.defaultSteps <= p.maxSteps, { message: 'defaultSteps must not exceed maxSteps', path: ['defaultSteps'] });

export type ModelProfile = z.infer<typeof ModelProfileSchema>;
export type ModelProfileInput = z.input<typeof ModelProfileSchema>;

export const ModelCatalogSchema = z
  .array(ModelProfileSchema)
  .min(1)
  .refine((profiles) => new Set(profiles.map((p) => p.id)).size === profiles.length, { message: 'model ids must be unique' });

export type ModelCatalog = z.infer<typeof ModelCatalogSchema>;

// What every default profile shares: the open [dev] weights in one engine pool, and their sampling.
const KONTEXT_DEV = {
  weights: 'FLUX.1-Kontext-dev',
  enginePool: 'kontext-dev',
  defaultSteps: 28,
  maxSteps: 50,
  defaultGuidance: 2.5,
  maxInputImages: 4,
} as const;

export const DEFAULT_MODEL_CATALOG: ModelCatalog = ModelCatalogSchema.parse([
  {
    id: 'flux-kontext-dev',
    displayName: 'FLUX.1 Kontext [dev]',
    description: 'The open FLUX.1 Kontext [dev] weights with the reference sampling settings.',
    ...KONTEXT_DEV,
    priceCredits: 2,
  },
  {
    id: 'flux-kontext-dev-fast',
    displayName: 'FLUX.1 Kontext [dev], step caching',
    description:
      'The open [dev] weights with step caching: steps that change little reuse earlier computation, so an image takes ' +
      'markedly less time. Close to flux-kontext-dev for the same seed, but not identical.',
    ...KONTEXT_DEV,
    priceCredits: 2,
    stepCache: true,
  },
  {
    id: 'flux-kontext-pro',
    displayName: 'Kontext pro profile',
    description: "BFL-compatible route name; served by the open [dev] weights at BFL's pro price.",
    ...KONTEXT_DEV,
    priceCredits: 4,
  },
  {
    id: 'flux-kontext-max',
    displayName: 'Kontext max profile',
    description: 'BFL-compatible route name; served by the open [dev] weights with more sampling steps.',
    ...KONTEXT_DEV,
    defaultSteps: 50,
    priceCredits: 8,
    // BFL allows 6 concurrent kontext-max tasks per key; here per tenant.
    maxActiveJobsPerTenant: 6,
  },
] satisfies ModelProfileInput[]);

export function findProfile(catalog: ModelCatalog, id: string): ModelProfile | undefined {
  return catalog.find((profile) => profile.id === id);
}

/** The price of one image of `outputMegapixels` in credits: the base price plus started extra megapixels. */
export function priceCredits(profile: ModelProfile, outputMegapixels: number): number {
  const extra = Math.max(0, Math.ceil(outputMegapixels - profile.includedMegapixels - 1e-9));
  return profile.priceCredits + extra * profile.pricePerExtraMegapixel;
}
