import type { JobStatus } from '../api/types.ts';
import { utcDay } from './usage-search.ts';

// The Jobs page's URL search parameters (`?status=failed&model=flux-kontext-pro&key=key_…&from=
// 2025-06-01&to=2025-06-07&root=job_…`), read by the router's validateSearch. Pure and small (it is
// in the first bundle); anything unknown or malformed is dropped.

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'request_moderated', 'content_moderated', 'canceled'] as const satisfies readonly JobStatus[];
// Fails to compile when the platform has a status this list lacks.
const everyStatusListed: Exclude<JobStatus, (typeof JOB_STATUSES)[number]> extends never ? true : false = true;
void everyStatusListed;

export interface JobsSearch {
  status?: JobStatus;
  model?: string;
  /** An API key's id (`key_…`). */
  key?: string;
  /** Created on or after this UTC day, `YYYY-MM-DD`. */
  from?: string;
  /** Created on or before this UTC day (included), `YYYY-MM-DD`. */
  to?: string;
  /** Only this lineage: the root job's id. */
  root?: string;
}

/** Ids and model names as the API has them: letters, digits, `_`, `-`, `.`; at most 100 characters. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

const name = (value: unknown): string | undefined => (typeof value === 'string' && NAME_PATTERN.test(value) ? value : undefined);

export function parseJobsSearch(raw: Record<string, unknown>): JobsSearch {
  const search: JobsSearch = {};
  if (typeof raw.status === 'string' && (JOB_STATUSES as readonly string[]).includes(raw.status)) search.status = raw.status as JobStatus;
  const model = name(raw.model);
  if (model) search.model = model;
  const key = name(raw.key);
  if (key) search.key = key;
  const from = utcDay(raw.from);
  if (from) search.from = from;
  const to = utcDay(raw.to);
  if (to) search.to = to;
  const root = name(raw.root);
  if (root) search.root = root;
  return search;
}
