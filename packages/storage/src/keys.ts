import { IMAGE_EXTENSIONS, type ImageFormat } from '@kontext/core';

// Every blob lives under its tenant's prefix, so a retention sweep, an export or a deletion
// request touches one prefix and a bug in one tenant's path can never name another's blob.

export function tenantPrefix(tenantId: string): string {
  return `tenants/${tenantId}/`;
}

/** Inputs are stored by content hash: the same bytes uploaded twice are stored once. */
export function inputImageKey(tenantId: string, contentHash: string, format: ImageFormat): string {
  return `${tenantPrefix(tenantId)}inputs/${contentHash}.${IMAGE_EXTENSIONS[format]}`;
}

/** Outputs are keyed by job and attempt, so a superseded attempt can never overwrite the winner's blob. */
export function outputImageKey(tenantId: string, jobId: string, attempt: number, format: ImageFormat): string {
  return `${tenantPrefix(tenantId)}outputs/${jobId}/${attempt}.${IMAGE_EXTENSIONS[format]}`;
}

/** The thumbnail stored beside an image. */
export function thumbnailKeyFor(imageKey: string): string {
  return `${imageKey.slice(0, imageKey.lastIndexOf('.'))}.thumb.jpg`;
}
