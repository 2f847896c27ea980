import { describe, expect, it } from 'vitest';
import {
  BFL_STATUSES,
  BflStatusSchema,
  JOB_STATUSES,
  JobStatusSchema,
  TERMINAL_STATUSES,
  bflStatusOf,
  canTransition,
  heartbeatIntervalMs,
  isTerminal,
  jobQueueName,
  sourcesOf,
  type JobStatus,
} from '../src/index.ts';

// The expected state machine, written out independently of the source so a changed edge fails here.
const EXPECTED_EDGES: Record<JobStatus, JobStatus[]> = {
  queued: ['running', 'failed', 'request_moderated', 'canceled'],
  running: ['queued', 'running', 'succeeded', 'failed', 'content_moderated', 'canceled'],
  succeeded: [],
  failed: [],
  request_moderated: [],
  content_moderated: [],
  canceled: [],
};

const EXPECTED_SOURCES: Record<JobStatus, JobStatus[]> = {
  queued: ['running'],
  running: ['queued', 'running'],
  succeeded: ['running'],
  failed: ['queued', 'running'],
  request_moderated: ['queued'],
  content_moderated: ['running'],
  canceled: ['queued', 'running'],
};

const EXPECTED_BFL: Record<JobStatus, string> = {
  queued: 'Pending',
  running: 'Pending',
  succeeded: 'Ready',
  failed: 'Error',
  request_moderated: 'Request Moderated',
  content_moderated: 'Content Moderated',
  canceled: 'Error',
};

const ALL_PAIRS = JOB_STATUSES.flatMap((from) => JOB_STATUSES.map((to) => [from, to] as const));

describe('job statuses', () => {
  it('are exactly the seven platform statuses', () => {
    expect([...JOB_STATUSES].sort()).toEqual(Object.keys(EXPECTED_EDGES).sort());
  });

  it('JobStatusSchema accepts every status and nothing else', () => {
    for (const status of JOB_STATUSES) expect(JobStatusSchema.parse(status)).toBe(status);
    for (const other of ['done', 'Pending', 'QUEUED', '', 'cancelled']) expect(JobStatusSchema.safeParse(other).success).toBe(false);
  });

  it('terminal statuses are the five end states', () => {
    expect([...TERMINAL_STATUSES].sort()).toEqual(['canceled', 'content_moderated', 'failed', 'request_moderated', 'succeeded']);
  });
});

describe('canTransition', () => {
  it.each(ALL_PAIRS)('%s -> %s matches the expected state machine', (from, to) => {
    expect(canTransition(from, to)).toBe(EXPECTED_EDGES[from].includes(to));
  });

  it('lets a worker reclaim an expired lease (running -> running) but never re-queues a queued job', () => {
    expect(canTransition('running', 'running')).toBe(true);
    expect(canTransition('queued', 'queued')).toBe(false);
  });

  it('keeps request moderation before running and content moderation after it', () => {
    expect(canTransition('queued', 'request_moderated')).toBe(true);
    expect(canTransition('running', 'request_moderated')).toBe(false);
    expect(canTransition('running', 'content_moderated')).toBe(true);
    expect(canTransition('queued', 'content_moderated')).toBe(false);
  });

  it('only a running job can succeed', () => {
    expect(JOB_STATUSES.filter((from) => canTransition(from, 'succeeded'))).toEqual(['running']);
  });
});

describe('terminal states', () => {
  it.each(JOB_STATUSES)('isTerminal(%s) matches TERMINAL_STATUSES', (status) => {
    expect(isTerminal(status)).toBe((TERMINAL_STATUSES as readonly string[]).includes(status));
  });

  it.each(TERMINAL_STATUSES)('%s has no outgoing transitions', (status) => {
    expect(JOB_STATUSES.filter((to) => canTransition(status, to))).toEqual([]);
  });

  it.each(JOB_STATUSES.filter((s) => !isTerminal(s)))('non-terminal %s can still reach a terminal state', (status) => {
    expect(TERMINAL_STATUSES.some((to) => canTransition(status, to))).toBe(true);
  });

  it('a status is terminal exactly when it has no outgoing transitions', () => {
    for (const status of JOB_STATUSES) {
      const outgoing = JOB_STATUSES.filter((to) => canTransition(status, to));
      expect(isTerminal(status), status).toBe(outgoing.length === 0);
    }
  });

  it('every terminal state is reachable from queued', () => {
    const reached = new Set<JobStatus>(['queued']);
    const frontier: JobStatus[] = ['queued'];
    for (let next = frontier.pop(); next !== undefined; next = frontier.pop()) {
      for (const to of JOB_STATUSES) {
        if (canTransition(next, to) && !reached.has(to)) {
          reached.add(to);
          frontier.push(to);
        }
      }
    }
    expect([...reached].sort()).toEqual([...JOB_STATUSES].sort());
  });
});

describe('sourcesOf', () => {
  it.each(JOB_STATUSES)('sourcesOf(%s) lists exactly the statuses that may move there', (target) => {
    expect([...sourcesOf(target)].sort()).toEqual([...EXPECTED_SOURCES[target]].sort());
  });

  it('agrees with canTransition for every pair', () => {
    for (const [from, to] of ALL_PAIRS) {
      expect(sourcesOf(to).includes(from), `${from} -> ${to}`).toBe(canTransition(from, to));
    }
  });

  it('never names a terminal state as a source', () => {
    for (const target of JOB_STATUSES) {
      expect(sourcesOf(target).filter((s) => isTerminal(s))).toEqual([]);
    }
  });

  it('returns a new array each time, so a caller cannot corrupt the state machine', () => {
    const first = sourcesOf('canceled');
    first.push('succeeded');
    expect(sourcesOf('canceled')).not.toContain('succeeded');
    expect(canTransition('succeeded', 'canceled')).toBe(false);
  });
});

describe('bflStatusOf', () => {
  it.each(JOB_STATUSES)('maps %s to the BFL wire status', (status) => {
    expect(bflStatusOf(status)).toBe(EXPECTED_BFL[status]);
  });

  it('only ever returns statuses BflStatusSchema accepts, and never "Task not found"', () => {
    for (const status of JOB_STATUSES) {
      const bfl = bflStatusOf(status);
      expect(BflStatusSchema.safeParse(bfl).success).toBe(true);
      expect(bfl).not.toBe('Task not found');
    }
  });

  it('covers every BFL status except "Task not found"', () => {
    const produced = new Set<string>(JOB_STATUSES.map((s) => bflStatusOf(s)));
    expect([...BFL_STATUSES].filter((s) => !produced.has(s))).toEqual(['Task not found']);
  });

  it('reports Pending exactly for the non-terminal statuses', () => {
    for (const status of JOB_STATUSES) expect(bflStatusOf(status) === 'Pending', status).toBe(!isTerminal(status));
  });
});

describe('heartbeatIntervalMs', () => {
  it.each([
    [30, 10_000],
    [60, 20_000],
    [10, 3_333],
    [1, 333],
    [0.9, 300],
  ])('renews a %s s lease every %i ms (three times per lease)', (leaseSeconds, expected) => {
    expect(heartbeatIntervalMs({ leaseSeconds, maxAttempts: 3 })).toBe(expected);
  });

  it.each([0, 0.1, 0.2999])('never renews more often than every 100 ms (lease %s s)', (leaseSeconds) => {
    expect(heartbeatIntervalMs({ leaseSeconds, maxAttempts: 3 })).toBe(100);
  });

  it('fits at least three heartbeats in a lease for leases of 0.3 s and more', () => {
    for (let tenths = 3; tenths <= 6000; tenths += 7) {
      const leaseSeconds = tenths / 10;
      const interval = heartbeatIntervalMs({ leaseSeconds, maxAttempts: 5 });
      expect(interval * 3, String(leaseSeconds)).toBeLessThanOrEqual(leaseSeconds * 1000);
      expect(Number.isInteger(interval)).toBe(true);
    }
  });

  it('does not depend on maxAttempts', () => {
    expect(heartbeatIntervalMs({ leaseSeconds: 45, maxAttempts: 1 })).toBe(heartbeatIntervalMs({ leaseSeconds: 45, maxAttempts: 50 }));
  });
});

describe('jobQueueName', () => {
  it('names one queue per engine pool', () => {
    expect(jobQueueName('kontext-dev')).toBe('jobs-kontext-dev');
    expect(jobQueueName('a')).not.toBe(jobQueueName('b'));
  });
});
