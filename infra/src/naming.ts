/**
 * The stack name as a lowercase slug (letters, digits, single hyphens), the base of the physical
 * names that must be unique per account and region: queue names and the database cluster.
 * Stack names are validated to at most 50 characters, so every derived name fits its limit.
 */
export function stackSlug(stackName: string): string {
  return stackName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

export const MAX_STACK_NAME_LENGTH = 50;
