import type sharp from 'sharp';

let loading: Promise<typeof sharp> | undefined;

/**
 * sharp (native libvips) loaded on first use: processes that never touch pixels (the webhook
 * dispatcher, maintenance) then neither ship nor load it, which keeps their Lambda bundles small
 * and their cold starts short.
 */
export function loadSharp(): Promise<typeof sharp> {
  loading ??= import('sharp').then((module) => module.default);
  return loading;
}
