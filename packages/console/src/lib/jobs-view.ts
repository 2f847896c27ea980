import type { JobListQuery, JobProgressEventData, JobStatusEventData, JobView, Lineage, LineageNode } from '../api/jobs-types.ts';
import type { JobStatus } from '../api/types.ts';
import type { JobsSearch } from './jobs-search.ts';

// The Jobs log and a job's page, without a DOM: the list's query from the URL, which image
// addresses may be shown, a job's duration, its event timeline and its lineage as a tree.

export const JOBS_PAGE_SIZE = 25;

const DAY_MS = 86_400_000;

/** GET /v1/jobs's query for the URL's filters: days as [from 00:00 UTC, the day after `to`). */
export function jobsApiQuery(search: JobsSearch, cursor?: string | null): JobListQuery {
  return {
    limit: JOBS_PAGE_SIZE,
    ...(cursor ? { cursor } : {}),
    ...(search.status ? { status: search.status } : {}),
    ...(search.model ? { model: search.model } : {}),
    ...(search.key ? { api_key_id: search.key } : {}),
    ...(search.from ? { created_after: `${search.from}T00:00:00.000Z` } : {}),
    ...(search.to ? { created_before: new Date(Date.parse(`${search.to}T00:00:00Z`) + DAY_MS).toISOString() } : {}),
    ...(search.root ? { root: search.root } : {}),
  };
}

/** Whether the URL narrows the list at all (an empty answer then means "no match", not "no jobs yet"). */
export function hasJobFilters(search: JobsSearch): boolean {
  return Object.values(search).some((value) => value !== undefined && value !== '');
}

/** The first day after the last (a custom range the wrong way round), as the form says it. */
export function jobsRangeProblem(search: JobsSearch): string | null {
  return search.from && search.to && search.from > search.to ? 'The first day is after the last day.' : null;
}

const ASSET_ID = /^ast_[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * Where an image of the platform may be loaded from: a signed URL only when it is one of this
 * origin's own blob URLs (`<origin>/v1/blobs/…`), else the asset's content route on this origin
 * (`/v1/assets/<id>/content`, with the session cookie), for a well-formed asset id; otherwise
 * nothing. Never another address from a field: the page's img-src is 'self' anyway.
 */
export function platformImageSrc(origin: string, signedUrl: string | null | undefined, assetId: string | null | undefined): string | null {
  if (signedUrl) {
    try {
      const url = new URL(signedUrl);
      if (url.origin === origin && url.pathname.startsWith('/v1/blobs/') && !url.username && !url.password) return url.href;
    } catch {
      // not a URL: fall back to the asset route
    }
  }
  if (assetId && ASSET_ID.test(assetId)) return `/v1/assets/${assetId}/content`;
  return null;
}

/** Submit to finish, or to now while the job is in flight; null when the dates are unreadable. */
export function jobDurationMs(job: Pick<JobView, 'created_at' | 'finished_at'>, now: Date): number | null {
  const start = Date.parse(job.created_at);
  const end = job.finished_at ? Date.parse(job.finished_at) : now.getTime();
  return Number.isNaN(start) || Number.isNaN(end) ? null : Math.max(0, end - start);
}

export const TERMINAL: readonly JobStatus[] = ['succeeded', 'failed', 'request_moderated', 'content_moderated', 'canceled'];

export const isInFlight = (status: JobStatus) => status === 'queued' || status === 'running';

/** One Server-Sent Event of GET /v1/jobs/{id}/events, parsed. */
export type JobStreamEvent = { id: number; event: 'status'; data: JobStatusEventData } | { id: number; event: 'progress'; data: JobProgressEventData };

/** An SSE message (its `event` name, `lastEventId` and `data` text) as a stream event, or null when it is not one. */
export function parseStreamEvent(name: string, lastEventId: string, data: string): JobStreamEvent | null {
  if (name !== 'status' && name !== 'progress') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== 'object' || typeof (parsed as { at?: unknown }).at !== 'string') return null;
  const id = Number(lastEventId);
  if (name === 'status' && typeof (parsed as { status?: unknown }).status === 'string') return { id: Number.isFinite(id) ? id : 0, event: 'status', data: parsed as JobStatusEventData };
  if (name === 'progress' && typeof (parsed as { progress?: unknown }).progress === 'number') return { id: Number.isFinite(id) ? id : 0, event: 'progress', data: parsed as JobProgressEventData };
  return null;
}

export interface TimelineItem {
  kind: 'queued' | 'started' | 'progress' | 'end';
  /** What happened, in words. */
  label: string;
  at: string;
  /** More about it: the error, how many progress updates. */
  detail?: string;
  status?: JobStatus;
}

const END_LABELS: Record<string, string> = {
  succeeded: 'Succeeded',
  failed: 'Failed',
  request_moderated: 'Refused by moderation (prompt or input)',
  content_moderated: 'Refused by moderation (output)',
  canceled: 'Canceled',
};

/**
 * The events as a timeline: each status change its own step (a retry shows as queued again and
 * started again, with its attempt), a run of progress events one step with the latest share
 * reported (workers report progress now and then, not every step: the last may be below 100%).
 * Events are taken in id order, once each (a reconnect may repeat some).
 */
export function buildTimeline(events: readonly JobStreamEvent[]): TimelineItem[] {
  const seen = new Set<number>();
  const ordered = [...events].sort((a, b) => a.id - b.id).filter((event) => (seen.has(event.id) ? false : (seen.add(event.id), true)));
  const items: TimelineItem[] = [];
  let progressRun = 0;
  for (const event of ordered) {
    if (event.event === 'progress') {
      progressRun += 1;
      const last = items.at(-1);
      const share = `${Math.round(event.data.progress * 100)}%`;
      const detail = progressRun === 1 ? share : `${share}, the last of ${progressRun} updates`;
      if (last?.kind === 'progress') Object.assign(last, { at: event.data.at, detail });
      else items.push({ kind: 'progress', label: 'Progress', at: event.data.at, detail });
      continue;
    }
    progressRun = 0;
    const { status, attempt, at } = event.data;
    const retry = attempt > 1 ? ` (attempt ${attempt})` : '';
    if (status === 'queued') items.push({ kind: 'queued', label: attempt > 0 ? `Queued again after attempt ${attempt}` : 'Queued', at, status });
    else if (status === 'running') items.push({ kind: 'started', label: `Started${retry}`, at, status });
    else items.push({ kind: 'end', label: END_LABELS[status] ?? status, at, status, ...(event.data.error ? { detail: event.data.error } : {}) });
  }
  return items;
}

/** The timeline from the job's own times, for a job whose event history is gone (events are kept for a while only). */
export function timelineFromJob(job: Pick<JobView, 'status' | 'created_at' | 'started_at' | 'finished_at' | 'error' | 'progress'>): TimelineItem[] {
  const items: TimelineItem[] = [{ kind: 'queued', label: 'Queued', at: job.created_at, status: 'queued' }];
  if (job.started_at) items.push({ kind: 'started', label: 'Started', at: job.started_at, status: 'running' });
  if (job.finished_at && TERMINAL.includes(job.status)) {
    items.push({ kind: 'end', label: END_LABELS[job.status] ?? job.status, at: job.finished_at, status: job.status, ...(job.error ? { detail: job.error } : {}) });
  }
  return items;
}

/** Whether the stream's events tell the job's story (not only the one summary event of a job whose history expired). */
export function eventsTellHistory(events: readonly JobStreamEvent[]): boolean {
  return events.some((event) => event.event === 'status' && (event.data.status === 'queued' || event.data.status === 'running'));
}

export interface LineageTreeNode {
  node: LineageNode;
  level: number;
  children: LineageTreeNode[];
}

/** Ancestors (root first) and the job's own subtree as one tree, the root at level 1. */
export function lineageTree(lineage: Lineage): LineageTreeNode {
  const subtree = (node: LineageNode, level: number): LineageTreeNode => ({ node, level, children: node.children.map((child) => subtree(child, level + 1)) });
  const chain = lineage.ancestors;
  let below = subtree(lineage.tree, chain.length + 1);
  for (let index = chain.length - 1; index >= 0; index -= 1) below = { node: chain[index]!, level: index + 1, children: [below] };
  return below;
}

/** The tree's nodes in reading order (depth first), as arrow keys walk them. */
export function flattenTree(root: LineageTreeNode): LineageTreeNode[] {
  return [root, ...root.children.flatMap(flattenTree)];
}

const INSTANT = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, timeZone: 'UTC' });

/** A moment to the second, UTC: `2 Jun 2025, 14:05:07 UTC` (a timeline's steps are seconds apart). */
export function formatInstant(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '—' : `${INSTANT.format(date)} UTC`;
}
