import type { ModelCatalog, ModelProfile } from '@kontext/core';

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

export function listModels({ ctx }: { ctx: { catalog: ModelCatalog } }): PublicModel[] {
  return ctx.catalog.map(toPublicModel);
}
