import type { ModelCatalog, ModelProfile } from '@kontext/core';
import type { AuthenticatedPrincipal } from '../auth/principal.ts';

export interface PublicModel {
  id: string;
  display_name: string;
  description: string;
  weights: string;
  default_steps: number;
  max_steps: number;
  default_guidance: number;
  price_credits: number;
  max_input_images: number;
  submit_path: string;
}

export function toPublicModel(profile: ModelProfile): PublicModel {
  return {
    id: profile.id,
    display_name: profile.displayName,
    description: profile.description,
    weights: profile.weights,
    default_steps: profile.defaultSteps,
    max_steps: profile.maxSteps,
    default_guidance: profile.defaultGuidance,
    price_credits: profile.priceCredits,
    max_input_images: profile.maxInputImages,
    submit_path: `/v1/${profile.id}`,
  };
}

/** The catalog as `auth` may use it: a key whose tenant is limited to some models sees only those. */
export function listModels({ ctx, input }: { ctx: { catalog: ModelCatalog }; input: { auth: Pick<AuthenticatedPrincipal, 'allowedModels'> } }): PublicModel[] {
  const allowed = input.auth.allowedModels;
  return ctx.catalog.filter((profile) => isModelAllowed(allowed, profile.id)).map(toPublicModel);
}

/** Whether a key limited to `allowedModels` (null: every model) may use `modelId`. */
export function isModelAllowed(allowedModels: readonly string[] | null, modelId: string): boolean {
  return !allowedModels || allowedModels.includes(modelId);
}
