import { fieldProblem, type ModelCatalog } from '@kontext/core';

/** An allow-list may only name models the catalog has: a typo would silently lock a tenant out. */
export function checkAllowedModels(catalog: ModelCatalog, allowed: string[] | null | undefined, field: string): void {
  if (!allowed) return;
  const unknown = allowed.filter((id) => !catalog.some((profile) => profile.id === id));
  if (unknown.length > 0) {
    throw fieldProblem(field, `unknown model(s) ${unknown.join(', ')}; the catalog has ${catalog.map((p) => p.id).join(', ')}`);
  }
}
