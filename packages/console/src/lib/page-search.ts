// A page's filters in its address (`/credits?kind=grant`), read from and written to the query
// string as plain text. The pages parse what they find themselves (an unknown value is no filter),
// so a shared or hand-edited address never breaks a page. Pure: no DOM.

/** One parameter of a query string (`?kind=grant`, with or without the `?`); undefined when absent or empty. */
export function searchParam(searchStr: string, name: string): string | undefined {
  const value = new URLSearchParams(searchStr.startsWith('?') ? searchStr.slice(1) : searchStr).get(name);
  return value === null || value === '' ? undefined : value;
}

/** A router path with the set parameters, in the given order: `hrefWith('/credits', { kind: 'grant' })` → `/credits?kind=grant`. */
export function hrefWith(path: string, params: Record<string, string | undefined | null>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value) query.set(name, value);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}
