import { z } from 'zod';

// The job state machine. Postgres enforces it: every transition is a conditional UPDATE whose
// WHERE clause is built from `sourcesOf(target)`, so a duplicate or late writer changes nothing.

export const JOB_STATUSES = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'request_moderated',
  'content_moderated',
  'canceled',
] as const;

export const JobStatusSchema = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatusSchema>;

export const TERMINAL_STATUSES = [
  'succeeded',
  'failed',
  'request_moderated',
  'content_moderated',
  'canceled',
] as const satisfies readonly JobStatus[];

export type TerminalJobStatus = (typeof TERMINAL_STATUSES)[number];

const TRANSITIONS: Record<JobStatus, readonly JobStatus[]> = {
  // queued -> failed covers "attempts exhausted" and unrecoverable input problems found late.
  queued: ['running', 'failed', 'request_moderated', 'canceled'],
  // running -> queued: the lease expired and the sweeper hands the job back;
  // running -> running: another worker reclaims an expired lease directly.
  running: ['queued', 'running', 'succeeded', 'failed', 'content_moderated', 'canceled'],
  succeeded: [],
  failed: [],
  request_moderated: [],
  content_moderated: [],
  canceled: [],
};

/** The status a job holds a worker's lease in (heartbeats, progress and completion are guarded by it). */
export const LEASED_STATUS = 'running' satisfies JobStatus;
/** The status of a job waiting for a worker (the queue timeout counts from entering it). */
export const WAITING_STATUS = 'queued' satisfies JobStatus;

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The statuses a job may be in for a move to `target` to be legal. */
export function sourcesOf(target: JobStatus): JobStatus[] {
  return JOB_STATUSES.filter((from) => TRANSITIONS[from].includes(target));
}

export function isTerminal(status: JobStatus): status is TerminalJobStatus {
  return (TERMINAL_STATUSES as readonly JobStatus[]).includes(status);
}

// BFL's wire statuses. Queued and running are both "Pending" to a BFL client; cancel has no BFL
// equivalent and is reported as "Error" with a machine-readable reason in `details`.
export const BFL_STATUSES = [
  'Pending',
  'Ready',
  'Error',
  'Request Moderated',
  'Content Moderated',
  'Task not found',
] as const;

export const BflStatusSchema = z.enum(BFL_STATUSES);
export type BflStatus = z.infer<typeof BflStatusSchema>;

export function bflStatusOf(status: JobStatus): Exclude<BflStatus, 'Task not found'> {
  switch (status) {
    case 'queued':
    case 'running':
      return 'Pending';
    case 'succeeded':
      return 'Ready';
    case 'request_moderated':
      return 'Request Moderated';
    case 'content_moderated':
      return 'Content Moderated';
    case 'failed':
    case 'canceled':
      return 'Error';
  }
}

/** Lease policy: how long a claim lasts without a heartbeat and how often a worker renews it. */
export interface LeasePolicy {
  leaseSeconds: number;
  maxAttempts: number;
}

export function heartbeatIntervalMs(policy: LeasePolicy): number {
  // Renew three times per lease so one slow heartbeat never loses the job.
  return Math.max(100, Math.floor((policy.leaseSeconds * 1000) / 3));
}

/** The queue that carries jobs for one engine pool (a separate SQS queue per pool in the cloud). */
export function jobQueueName(enginePool: string): string {
  return `jobs-${enginePool}`;
}

/**
 * The engine pool of test-mode jobs: the CPU preview engine. Test jobs go to its queue whatever
 * their model, so they never reach (or wait for) a GPU.
 */
export const PREVIEW_ENGINE_POOL = 'preview';
