import type { WebhookDelivery, WebhookEndpoint, WebhookEventType } from '../api/webhooks-queries.ts';
import { formatGrace } from './format.ts';
import { hrefWith, searchParam } from './page-search.ts';

// The webhooks page's rules: the events an endpoint can hear, the rotation overlaps offered, the
// delivery log's filters from the URL, and which deliveries are still in flight (the only rows the
// page polls). Pure: no DOM, `now` given.

export const WEBHOOK_EVENT_CHOICES = [
  { event: 'job.started', label: 'A job started running' },
  { event: 'job.succeeded', label: 'A job succeeded' },
  { event: 'job.failed', label: 'A job failed' },
  { event: 'job.moderated', label: 'A request or result was moderated' },
  { event: 'job.canceled', label: 'A job was canceled' },
] as const satisfies readonly { event: WebhookEventType; label: string }[];

type Listed = (typeof WEBHOOK_EVENT_CHOICES)[number]['event'];
// `never` exactly when every event the API knows is offered.
const everyEventListed: Exclude<WebhookEventType, Listed> extends never ? true : false = true;
void everyEventListed;

export const ALL_WEBHOOK_EVENTS: WebhookEventType[] = WEBHOOK_EVENT_CHOICES.map((choice) => choice.event);

/** How an endpoint's events read: `every job event`, or the list. */
export function eventsLabel(events: readonly string[]): string {
  if (ALL_WEBHOOK_EVENTS.every((event) => events.includes(event))) return 'every job event';
  return events.join(', ');
}

/** How long the previous secret keeps signing after a rotation (the API's default: 24 hours; at most 7 days). */
export const OVERLAP_CHOICES = [0, 3_600, 86_400, 7 * 86_400] as const;
export const DEFAULT_OVERLAP = 86_400;

export function overlapLabel(seconds: number): string {
  return seconds === 0 ? 'stops at once' : `keeps signing for ${formatGrace(seconds)}`;
}

/** Whether an endpoint's deliveries carry two signatures now (the previous secret's and the new one's), and until when. */
export function rotationOverlap(endpoint: Pick<WebhookEndpoint, 'secret_rotation_ends_at'>, now: Date): string | null {
  const ends = endpoint.secret_rotation_ends_at;
  return ends && Date.parse(ends) > now.getTime() ? ends : null;
}

/** An endpoint as a person names it: its description, else its address without the scheme. */
export function endpointLabel(endpoint: Pick<WebhookEndpoint, 'description' | 'url'>): string {
  const description = endpoint.description.trim();
  if (description) return description;
  return endpoint.url.replace(/^https?:\/\//, '');
}

export const DELIVERY_OUTCOMES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

/** The page's address holds the log's filters: `?endpoint=whe_…&outcome=failed`. */
export interface WebhooksSearch {
  endpoint?: string | undefined;
  outcome?: string | undefined;
}

export interface DeliveryFilter {
  endpoint_id?: string;
  outcome?: DeliveryOutcome;
}

/** The filters in the page's query string (`?endpoint=whe_…&outcome=failed`). */
export function webhooksSearch(searchStr: string): WebhooksSearch {
  return { endpoint: searchParam(searchStr, 'endpoint'), outcome: searchParam(searchStr, 'outcome') };
}

/** The page's address with these filters. */
export function webhooksHref(search: WebhooksSearch): string {
  return hrefWith('/webhooks', { endpoint: search.endpoint, outcome: search.outcome });
}

/** The delivery query from the address's filters; unknown values are left out, not sent. */
export function deliveryFilter(search: WebhooksSearch): DeliveryFilter {
  const filter: DeliveryFilter = {};
  if (search.endpoint && /^whe_[0-9A-Za-z]{1,60}$/.test(search.endpoint)) filter.endpoint_id = search.endpoint;
  const outcome = DELIVERY_OUTCOMES.find((value) => value === search.outcome);
  if (outcome) filter.outcome = outcome;
  return filter;
}

export type WebhookAttempt = WebhookDelivery['attempt_log'][number];

/**
 * A delivery's attempts in the order they were made. A redelivery restarts the count (its first
 * attempt is attempt 1 again), so order is by time, and `redelivery` marks where one began.
 */
export function attemptsInOrder(delivery: WebhookDelivery): (WebhookAttempt & { redelivery: boolean })[] {
  const sorted = [...delivery.attempt_log].sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at) || a.attempt - b.attempt);
  return sorted.map((attempt, index) => ({ ...attempt, redelivery: index > 0 && attempt.attempt <= sorted[index - 1]!.attempt }));
}

/** What an attempt's error adds to its status code: nothing when it only says the code again ("the receiver answered 500"). */
export function attemptError(statusCode: number | null, error: string | null): string | null {
  if (!error) return null;
  if (statusCode !== null && error.trim() === `the receiver answered ${statusCode}`) return null;
  return error;
}

/** The latest attempt of a delivery, if it had one. */
export function lastAttempt(delivery: WebhookDelivery): WebhookAttempt | undefined {
  return attemptsInOrder(delivery).at(-1);
}

/** The log's rows with the in-flight poll's fresher copies, and whether a row it no longer has has settled. */
export interface InFlightMerge {
  rows: WebhookDelivery[];
  /** Ids of rows the list shows pending that the (newer) poll no longer finds pending: the list needs a fresh read. */
  settled: string[];
}

/**
 * The delivery log as shown: rows from the list's pages, each pending one replaced by its copy in
 * the in-flight poll (`GET …?outcome=pending`) when that answer is newer than the list's. A pending
 * row missing from a newer, complete poll has finished (succeeded or failed): `settled` names it,
 * and the page reads the list again for its final state. An incomplete poll (more pending than one
 * page holds) settles nothing.
 */
export function mergeInFlight(
  rows: readonly WebhookDelivery[],
  inFlight: { rows: readonly WebhookDelivery[]; complete: boolean; at: number } | undefined,
  listAt: number,
): InFlightMerge {
  if (!inFlight || inFlight.at <= listAt) return { rows: [...rows], settled: [] };
  const fresh = new Map(inFlight.rows.map((row) => [row.id, row]));
  const settled: string[] = [];
  const merged = rows.map((row) => {
    if (row.status !== 'pending') return row;
    const copy = fresh.get(row.id);
    if (copy) return copy;
    if (inFlight.complete) settled.push(row.id);
    return row;
  });
  return { rows: merged, settled };
}

/**
 * The deliveries the receiver answered 410 Gone, as one string that changes when another such
 * answer arrives: 410 disables the endpoint, so the page reads the endpoints again then.
 */
export function goneAnswers(rows: readonly Pick<WebhookDelivery, 'id' | 'attempts' | 'last_status_code'>[]): string {
  return rows
    .filter((row) => row.last_status_code === 410)
    .map((row) => `${row.id}:${row.attempts}`)
    .join(' ');
}

export const IN_FLIGHT_POLL_MIN_MS = 1_000;
export const IN_FLIGHT_POLL_MAX_MS = 30_000;

/**
 * How soon to look at in-flight deliveries again: just after the soonest next attempt, at least a
 * second and at most 30 s from now; null when none is in flight (no polling at all).
 */
export function inFlightPollMs(rows: readonly Pick<WebhookDelivery, 'status' | 'next_attempt_at'>[], now: Date): number | null {
  const pending = rows.filter((row) => row.status === 'pending');
  if (pending.length === 0) return null;
  let soonest = Number.POSITIVE_INFINITY;
  for (const row of pending) {
    // Pending without a next attempt: being delivered right now.
    const at = row.next_attempt_at ? Date.parse(row.next_attempt_at) : now.getTime();
    if (Number.isFinite(at)) soonest = Math.min(soonest, at);
  }
  const wait = soonest - now.getTime() + 500;
  return Math.min(IN_FLIGHT_POLL_MAX_MS, Math.max(IN_FLIGHT_POLL_MIN_MS, Number.isFinite(wait) ? wait : IN_FLIGHT_POLL_MIN_MS));
}

/** The form's URL check before sending (the server decides, and also refuses private networks unless allowed). */
export function endpointUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return 'Enter the full address, starting with https://';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'The address must start with https:// or http://';
  return null;
}
