import { declareSetting } from '../setting.ts';
import { positiveSeconds, secondsUpTo, wholeNumber } from '../value-schemas.ts';

// Jobs' lifetime: leases, attempts, timeouts, and the sweeper that enforces them.

export const LEASE_SECONDS = declareSetting({
  name: 'LEASE_SECONDS',
  description: "How long a worker's claim lasts without a heartbeat (heartbeats every third of it).",
  schema: positiveSeconds(3600),
  default: 30,
});

export const MAX_ATTEMPTS = declareSetting({
  name: 'MAX_ATTEMPTS',
  description: 'Claims per job before it fails for good; each job keeps the value it was submitted with.',
  schema: wholeNumber(1, 20),
  default: 3,
});

export const QUEUE_TIMEOUT_SECONDS = declareSetting({
  name: 'QUEUE_TIMEOUT_SECONDS',
  description: 'A job no worker starts within this long fails instead of staying Pending.',
  schema: wholeNumber(1),
  default: 6 * 3600,
});

export const DISPATCH_GRACE_SECONDS = declareSetting({
  name: 'DISPATCH_GRACE_SECONDS',
  description: 'Age at which the sweeper relays an outbox row whose send was lost.',
  schema: secondsUpTo(3600),
  default: 10,
});

export const TIME_BUDGET_SECONDS = declareSetting({
  name: 'TIME_BUDGET_SECONDS',
  description: 'Maintenance stops starting new passes after this long; the schedule runs it again in a minute.',
  schema: positiveSeconds(900),
  default: 50,
});
