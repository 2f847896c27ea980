import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  real,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { AUDIT_ACTIONS, JOB_STATUSES, MEMBER_ROLES, PROMPT_UPSAMPLING_OUTCOMES, USAGE_HISTOGRAM_BUCKETS } from '@kontext/core';

// The schema is the source of truth for tenants, keys, jobs, assets, lineage, credits and usage.
// Migrations are generated from this file by drizzle-kit and checked in (packages/db/migrations);
// the accounting trigger that settles finished jobs is a hand-written migration beside them.

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
};

export const jobStatus = pgEnum('job_status', JOB_STATUSES);
export const assetKind = pgEnum('asset_kind', ['input', 'output']);
export const imageFormat = pgEnum('image_format', ['png', 'jpeg', 'webp']);
export const outputFormat = pgEnum('output_format', ['png', 'jpeg']);
export const apiKeyMode = pgEnum('api_key_mode', ['live', 'test']);
export const ledgerEntryKind = pgEnum('ledger_entry_kind', ['grant', 'reserve', 'settle', 'refund']);
export const usageGranularity = pgEnum('usage_granularity', ['hour', 'day']);
export const promptUpsampling = pgEnum('prompt_upsampling', PROMPT_UPSAMPLING_OUTCOMES);
export const memberRole = pgEnum('member_role', MEMBER_ROLES);
export const userTokenPurpose = pgEnum('user_token_purpose', ['password_reset', 'sign_in_link']);
export const auditAction = pgEnum('audit_action', AUDIT_ACTIONS);
export const auditActorKind = pgEnum('audit_actor_kind', ['user', 'api_key', 'operator', 'anonymous']);

/**
 * A tenant with its money and limits on one row: admission (credits and active-job slots) is one
 * conditional UPDATE of this row, so concurrent submits can never overspend or overrun a limit.
 */
export const tenants = pgTable(
  'tenants',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    /** Credits that can be spent now; always equals the sum of the tenant's ledger. */
    creditsAvailable: bigint('credits_available', { mode: 'number' }).notNull().default(0),
    /** Credits held by jobs that have not finished (settled on success, refunded otherwise). */
    creditsReserved: bigint('credits_reserved', { mode: 'number' }).notNull().default(0),
    /** Live jobs queued or running, in total and per model. */
    activeJobs: integer('active_jobs').notNull().default(0),
    activeJobsByModel: jsonb('active_jobs_by_model').$type<Record<string, number>>().notNull().default({}),
    maxActiveJobs: integer('max_active_jobs').notNull().default(24),
    requestsPerMinutePerKey: integer('requests_per_minute_per_key').notNull().default(6000),
    /** Models this tenant may use; null means every model in the catalog. */
    allowedModels: text('allowed_models').array(),
    retentionDays: integer('retention_days').notNull().default(30),
    ...timestamps,
  },
  (t) => [
    check('tenants_credits_nonnegative', sql`${t.creditsAvailable} >= 0 AND ${t.creditsReserved} >= 0`),
    check('tenants_active_nonnegative', sql`${t.activeJobs} >= 0`),
    check('tenants_limits_positive', sql`${t.maxActiveJobs} > 0 AND ${t.requestsPerMinutePerKey} > 0 AND ${t.retentionDays} > 0`),
  ],
);

export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    name: text('name').notNull(),
    mode: apiKeyMode('mode').notNull(),
    scopes: text('scopes').array().notNull().default(sql`'{}'::text[]`),
    /** SHA-256 of the whole key; the plaintext is shown once and never stored. */
    keyHash: text('key_hash').notNull(),
    displayPrefix: text('display_prefix').notNull(),
    lastFour: text('last_four').notNull(),
    /** When the key stops working: now for a revocation, the end of the grace period for a rotation. */
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
    /** The key that replaced this one in a rotation. */
    replacedByKeyId: text('replaced_by_key_id'),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }),
    ...timestamps,
  },
  (t) => [uniqueIndex('api_keys_key_hash_idx').on(t.keyHash), index('api_keys_tenant_idx').on(t.tenantId)],
);

export const assets = pgTable(
  'assets',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    kind: assetKind('kind').notNull(),
    /** SHA-256 of the stored bytes, hex. */
    contentHash: text('content_hash').notNull(),
    byteSize: integer('byte_size').notNull(),
    width: integer('width').notNull(),
    height: integer('height').notNull(),
    format: imageFormat('format').notNull(),
    storageKey: text('storage_key').notNull(),
    /** For outputs: the job that produced the image and the engine that ran it. */
    producingJobId: text('producing_job_id'),
    engine: text('engine'),
    /** A small JPEG preview for lineage views (outputs). */
    thumbnailKey: text('thumbnail_key'),
    /** Retention counts from the last time the asset was stored or referenced. */
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** Set when retention deleted the blob: the row stays as a tombstone so lineage stays whole. */
    deletedAt: timestamp('deleted_at', { withTimezone: true, mode: 'date' }),
    ...timestamps,
  },
  (t) => [
    // The retention sweeper's scan: live assets by last use.
    index('assets_retention_idx').on(t.lastUsedAt).where(sql`${t.deletedAt} IS NULL`),
    // Inputs are stored once per tenant and content: a re-upload reuses the asset.
    uniqueIndex('assets_input_content_idx').on(t.tenantId, t.contentHash).where(sql`${t.kind} = 'input'`),
    // One output asset per job, whatever happens to the workers.
    uniqueIndex('assets_output_job_idx').on(t.producingJobId).where(sql`${t.kind} = 'output'`),
    index('assets_tenant_created_idx').on(t.tenantId, t.createdAt),
  ],
);

export const jobs = pgTable(
  'jobs',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    apiKeyId: text('api_key_id')
      .notNull()
      .references(() => apiKeys.id),
    /** Test-mode jobs run on the preview engine, cost nothing and hold no active-job slot. */
    mode: apiKeyMode('mode').notNull().default('live'),
    requestId: text('request_id').notNull(),
    model: text('model').notNull(),
    enginePool: text('engine_pool').notNull(),
    status: jobStatus('status').notNull().default('queued'),
    prompt: text('prompt').notNull(),
    seed: bigint('seed', { mode: 'number' }).notNull(),
    width: integer('width').notNull(),
    height: integer('height').notNull(),
    aspectRatio: text('aspect_ratio'),
    outputFormat: outputFormat('output_format').notNull(),
    steps: smallint('steps').notNull(),
    guidance: real('guidance').notNull(),
    safetyTolerance: smallint('safety_tolerance').notNull(),
    costCredits: integer('cost_credits').notNull(),
    inputMegapixels: doublePrecision('input_mp').notNull(),
    outputMegapixels: doublePrecision('output_mp').notNull(),
    webhookUrl: text('webhook_url'),
    webhookSecret: text('webhook_secret'),
    /** Set only when the submit asked for prompt upsampling: what became of it. */
    promptUpsampling: promptUpsampling('prompt_upsampling'),
    /**
     * The rewritten prompt the engine runs when upsampling was applied, beside the prompt as sent
     * (which results keep showing). Written once, so every attempt runs the same text.
     */
    upsampledPrompt: text('upsampled_prompt'),
    progress: real('progress'),
    attempts: smallint('attempts').notNull().default(0),
    maxAttempts: smallint('max_attempts').notNull(),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true, mode: 'date' }),
    engine: text('engine'),
    errorMessage: text('error_message'),
    outputAssetId: text('output_asset_id').references(() => assets.id),
    /** Lineage: the job whose output this job edits (its context image), the chain's first job, and the distance to it. */
    parentJobId: text('parent_job_id'),
    rootJobId: text('root_job_id').notNull(),
    depth: smallint('depth').notNull().default(0),
    /** When the job last entered the queue (submit, or handed back for a retry). */
    queuedAt: timestamp('queued_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
    ...timestamps,
  },
  (t) => [
    index('jobs_tenant_created_idx').on(t.tenantId, t.createdAt),
    // Listing a tenant's jobs newest first (ids are time-sortable) and reading a lineage tree.
    index('jobs_tenant_id_idx').on(t.tenantId, t.id),
    index('jobs_root_idx').on(t.rootJobId),
    // The lease sweeper's scan: running jobs ordered by expiry.
    index('jobs_running_lease_idx').on(t.leaseExpiresAt).where(sql`${t.status} = 'running'`),
    // The sweeper's scan for jobs waiting past the queue timeout.
    index('jobs_queued_idx').on(t.queuedAt).where(sql`${t.status} = 'queued'`),
    check('jobs_progress_range', sql`${t.progress} IS NULL OR (${t.progress} >= 0 AND ${t.progress} <= 1)`),
    check('jobs_attempts_bound', sql`${t.attempts} >= 0 AND ${t.attempts} <= ${t.maxAttempts}`),
    // An upsampled prompt exactly when upsampling was applied: a job never runs text it cannot show.
    check('jobs_upsampled_prompt_applied', sql`coalesce(${t.promptUpsampling} = 'applied', false) = (${t.upsampledPrompt} IS NOT NULL)`),
  ],
);

/** Lineage edges: which assets a job consumed, in order and with a role. */
export const jobInputs = pgTable(
  'job_inputs',
  {
    jobId: text('job_id')
      .notNull()
      .references(() => jobs.id),
    position: smallint('position').notNull(),
    assetId: text('asset_id')
      .notNull()
      .references(() => assets.id),
    role: text('role', { enum: ['context', 'reference'] }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.position] }), index('job_inputs_asset_idx').on(t.assetId)],
);

/**
 * Transactional outbox for queue dispatch: written with the job, deleted once the queue accepted
 * the message. The sweeper relays rows left behind by a crash between commit and send.
 */
export const dispatchOutbox = pgTable('dispatch_outbox', {
  jobId: text('job_id')
    .primaryKey()
    .references(() => jobs.id),
  ...timestamps,
});

/**
 * The Postgres queue adapter's storage (SQS plays this part in the cloud). A dead-lettered
 * message moves to the queue named `<queue>.dlq`, as an SQS redrive policy would move it.
 */
export const queueMessages = pgTable(
  'queue_messages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    queue: text('queue').notNull(),
    body: jsonb('body').notNull(),
    visibleAt: timestamp('visible_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    receiveCount: integer('receive_count').notNull().default(0),
    receipt: text('receipt'),
    ...timestamps,
  },
  (t) => [index('queue_messages_ready_idx').on(t.queue, t.visibleAt, t.id)],
);

/**
 * The append-only credit ledger. `amount` is the change to the tenant's available credits, so
 * their sum is the balance: grants (+/-), reserves at submit (-price), refunds (+price), and
 * zero-amount settles that close a reservation. One entry per (job, kind): retries cannot charge twice.
 */
export const creditLedger = pgTable(
  'credit_ledger',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    jobId: text('job_id').references(() => jobs.id),
    kind: ledgerEntryKind('kind').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    /** The tenant's available credits right after this entry. */
    balanceAfter: bigint('balance_after', { mode: 'number' }).notNull(),
    reason: text('reason').notNull(),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('credit_ledger_job_kind_idx').on(t.jobId, t.kind).where(sql`${t.jobId} IS NOT NULL`),
    index('credit_ledger_tenant_idx').on(t.tenantId, t.id),
  ],
);

/** One immutable event per job that reached a terminal state. */
export const usageEvents = pgTable(
  'usage_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    jobId: text('job_id')
      .notNull()
      .references(() => jobs.id),
    tenantId: text('tenant_id').notNull(),
    apiKeyId: text('api_key_id').notNull(),
    mode: apiKeyMode('mode').notNull(),
    model: text('model').notNull(),
    engine: text('engine'),
    outcome: jobStatus('outcome').notNull(),
    inputMegapixels: doublePrecision('input_mp').notNull(),
    outputMegapixels: doublePrecision('output_mp').notNull(),
    queueMs: integer('queue_ms'),
    engineMs: integer('engine_ms'),
    totalMs: integer('total_ms').notNull(),
    credits: bigint('credits', { mode: 'number' }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [uniqueIndex('usage_events_job_idx').on(t.jobId), index('usage_events_tenant_finished_idx').on(t.tenantId, t.finishedAt)],
);

/** Latency histogram columns of the usage rollups: `lat_00` .. `lat_79` (see USAGE_HISTOGRAM_BUCKETS). */
export const LATENCY_COLUMNS = Array.from({ length: USAGE_HISTOGRAM_BUCKETS }, (_, i) => `lat_${String(i).padStart(2, '0')}`);

/**
 * Hourly and daily usage rollups, upserted in the transaction that finishes each job, at the
 * finest grain a query groups by. Total job latency is counted in fixed log-spaced buckets, one
 * integer column each (lat_00..lat_79), so a usage query merges any number of rows with plain
 * sum() aggregates and takes percentiles from the merged histogram.
 */
export const usageRollups = pgTable(
  'usage_rollups',
  {
    tenantId: text('tenant_id').notNull(),
    granularity: usageGranularity('granularity').notNull(),
    bucketStart: timestamp('bucket_start', { withTimezone: true, mode: 'date' }).notNull(),
    model: text('model').notNull(),
    apiKeyId: text('api_key_id').notNull(),
    outcome: jobStatus('outcome').notNull(),
    mode: apiKeyMode('mode').notNull(),
    jobs: bigint('jobs', { mode: 'number' }).notNull(),
    /** Jobs that a worker started: the ones queue and engine times are averaged over. */
    startedJobs: bigint('started_jobs', { mode: 'number' }).notNull(),
    credits: bigint('credits', { mode: 'number' }).notNull(),
    inputMegapixels: doublePrecision('input_mp').notNull(),
    /** Output of succeeded jobs only: a failed job produced no image. */
    outputMegapixels: doublePrecision('output_mp').notNull(),
    queueMsSum: bigint('queue_ms_sum', { mode: 'number' }).notNull(),
    engineMsSum: bigint('engine_ms_sum', { mode: 'number' }).notNull(),
    ...Object.fromEntries(LATENCY_COLUMNS.map((name) => [name, integer(name).notNull().default(0)])),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.granularity, t.bucketStart, t.model, t.apiKeyId, t.outcome, t.mode] })],
);

/** Per-key rate limit state (GCRA: the theoretical arrival time of the next request). */
export const credentialRateLimits = pgTable('credential_rate_limits', {
  /** The API key's or console session's id: each credential has its own allowance. */
  credentialId: text('credential_id').primaryKey(),
  theoreticalArrival: timestamp('theoretical_arrival', { withTimezone: true, mode: 'date' }).notNull(),
});

/**
 * Failed operator-API authentications per source address, in a fixed window: past the limit the
 * address is refused before its token is even compared. In Postgres, so the count holds across
 * API processes (and Lambda instances).
 */
export const adminAuthFailures = pgTable('admin_auth_failures', {
  source: text('source').primaryKey(),
  failures: integer('failures').notNull(),
  windowStartedAt: timestamp('window_started_at', { withTimezone: true, mode: 'date' }).notNull(),
});

/**
 * A job's history as events, for live status (SSE) and its resumption: written by a trigger on
 * every status and progress change, so every path that changes a job reports it.
 */
export const jobEvents = pgTable(
  'job_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    jobId: text('job_id').notNull(),
    type: text('type', { enum: ['status', 'progress'] }).notNull(),
    data: jsonb('data').notNull(),
    ...timestamps,
  },
  (t) => [index('job_events_job_idx').on(t.jobId, t.id), index('job_events_created_idx').on(t.createdAt)],
);

/** A tenant's registered webhook receivers. */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    url: text('url').notNull(),
    description: text('description').notNull().default(''),
    events: text('events').array().notNull(),
    /** `whsec_` + base64 of the signing key. */
    secret: text('secret').notNull(),
    /** During a rotation's overlap the previous secret signs too, so receivers can switch without a gap. */
    previousSecret: text('previous_secret'),
    previousSecretExpiresAt: timestamp('previous_secret_expires_at', { withTimezone: true, mode: 'date' }),
    disabledAt: timestamp('disabled_at', { withTimezone: true, mode: 'date' }),
    disabledReason: text('disabled_reason'),
    ...timestamps,
  },
  (t) => [index('webhook_endpoints_tenant_idx').on(t.tenantId)],
);

/**
 * One webhook message to one target. Written in the transaction that changes the job (an outbox),
 * or by a request for a test event; the dispatcher claims due rows, delivers, and records each
 * attempt. `id` is the webhook-id, the same on every attempt.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    /** The job the event is about; null exactly for a test event (`webhook.test`), which is about none. */
    jobId: text('job_id'),
    /** Null for a per-request webhook (the job's own webhook_url and webhook_secret). */
    endpointId: text('endpoint_id'),
    url: text('url').notNull(),
    eventType: text('event_type').notNull(),
    /**
     * The job as it was when the event happened (status, progress, error), rendered at send time;
     * for a test event, its body's `data`.
     */
    snapshot: jsonb('snapshot').notNull(),
    status: text('status', { enum: ['pending', 'succeeded', 'failed'] }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** A dispatcher's claim; an expired claim (the dispatcher died) makes the delivery due again. */
    claimedUntil: timestamp('claimed_until', { withTimezone: true, mode: 'date' }),
    /**
     * Set when the delivery was handed to the webhooks queue (cloud): only the message carrying
     * this token may claim it, so a duplicate or stale message delivers nothing twice.
     */
    relayToken: text('relay_token'),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    deliveredAt: timestamp('delivered_at', { withTimezone: true, mode: 'date' }),
    occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    ...timestamps,
  },
  (t) => [
    index('webhook_deliveries_due_idx').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    index('webhook_deliveries_tenant_idx').on(t.tenantId, t.id),
    index('webhook_deliveries_job_idx').on(t.jobId),
    // What bounds an endpoint's pending test deliveries counts here.
    index('webhook_deliveries_pending_tests_idx').on(t.endpointId).where(sql`${t.status} = 'pending' AND ${t.eventType} = 'webhook.test'`),
    // A job's events have their job; a test event has none, and always its endpoint.
    check('webhook_deliveries_job_unless_test', sql`(${t.jobId} IS NULL) = (${t.eventType} = 'webhook.test')`),
    check('webhook_deliveries_test_has_endpoint', sql`${t.jobId} IS NOT NULL OR ${t.endpointId} IS NOT NULL`),
  ],
);

/** Every delivery attempt, with what the receiver answered (a capped excerpt). */
export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    deliveryId: text('delivery_id').notNull(),
    attempt: integer('attempt').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }).notNull(),
    durationMs: integer('duration_ms').notNull(),
    statusCode: integer('status_code'),
    error: text('error'),
    responseExcerpt: text('response_excerpt'),
  },
  (t) => [index('webhook_attempts_delivery_idx').on(t.deliveryId, t.id)],
);

/**
 * Idempotency keys (Stripe semantics), per tenant and route: the first response is stored and
 * replayed for 24 hours; a request with the same key and other parameters is refused.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    tenantId: text('tenant_id').notNull(),
    route: text('route').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    state: text('state', { enum: ['running', 'done'] }).notNull(),
    /** A running request's hold; past it (the process died), another request may take the key over. */
    lockedUntil: timestamp('locked_until', { withTimezone: true, mode: 'date' }).notNull(),
    responseStatus: integer('response_status'),
    responseBody: text('response_body'),
    responseHeaders: jsonb('response_headers').$type<Record<string, string>>(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    ...timestamps,
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.route, t.key] }), index('idempotency_keys_expiry_idx').on(t.expiresAt)],
);

/** A person who signs in to the console: one account per email address, across tenants. */
export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    /** Lower-cased and trimmed (core's normalizeEmail), so the unique index is per mailbox. */
    email: text('email').notNull(),
    name: text('name').notNull().default(''),
    /** `scrypt$<log2 N>$<r>$<p>$<salt>$<key>` (base64url); the parameters travel with the hash. */
    passwordHash: text('password_hash').notNull(),
    passwordChangedAt: timestamp('password_changed_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    ...timestamps,
  },
  (t) => [uniqueIndex('users_email_idx').on(t.email)],
);

/** A user's place in a tenant; the role decides the session's scopes (core's ROLE_SCOPES). */
export const memberships = pgTable(
  'memberships',
  {
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    role: memberRole('role').notNull(),
    ...timestamps,
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.userId] }), index('memberships_user_idx').on(t.userId)],
);

/** A pending invitation: one per tenant and address (inviting again replaces the link). */
export const invitations = pgTable(
  'invitations',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    email: text('email').notNull(),
    role: memberRole('role').notNull(),
    /** SHA-256 of the token in the link: the token itself is only ever in the email. */
    tokenHash: text('token_hash').notNull(),
    invitedBy: text('invited_by').references(() => users.id),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    ...timestamps,
  },
  (t) => [uniqueIndex('invitations_token_idx').on(t.tokenHash), uniqueIndex('invitations_tenant_email_idx').on(t.tenantId, t.email)],
);

/** Single-use links mailed or handed to a user: password resets and one-time sign-ins. */
export const userTokens = pgTable(
  'user_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    purpose: userTokenPurpose('purpose').notNull(),
    /** The tenant a sign-in link opens in; null for password resets. */
    tenantId: text('tenant_id').references(() => tenants.id),
    tokenHash: text('token_hash').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    ...timestamps,
  },
  (t) => [uniqueIndex('user_tokens_token_idx').on(t.tokenHash), index('user_tokens_user_idx').on(t.userId)],
);

/**
 * Console sessions. The cookie holds `<id>.<secret>`; only SHA-256(secret) is kept. A session acts
 * in one tenant at a time, with the user's role there; removing the membership ends its use at once
 * (authentication joins the membership).
 */
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    secretHash: text('secret_hash').notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** Slides forward with use (at most once a minute); the session ends when it passes. */
    idleExpiresAt: timestamp('idle_expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** The absolute end, however active. */
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    userAgent: text('user_agent'),
    clientAddress: text('client_address'),
    ...timestamps,
  },
  (t) => [index('sessions_user_idx').on(t.userId), index('sessions_expires_idx').on(t.expiresAt)],
);

/** Failed sign-ins counted per account and per address in a fixed window (like admin_auth_failures). */
export const signInFailures = pgTable('sign_in_failures', {
  /** `account:<sha-256 of the email>` or `address:<client address>`. */
  source: text('source').primaryKey(),
  failures: integer('failures').notNull(),
  windowStartedAt: timestamp('window_started_at', { withTimezone: true, mode: 'date' }).notNull(),
});

/** What people and keys changed in a tenant: written in the transaction of the change. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    action: auditAction('action').notNull(),
    actorKind: auditActorKind('actor_kind').notNull(),
    actorId: text('actor_id'),
    actorEmail: text('actor_email'),
    target: text('target'),
    details: jsonb('details').notNull().default({}),
    clientAddress: text('client_address'),
    requestId: text('request_id'),
    ...timestamps,
  },
  (t) => [index('audit_log_tenant_idx').on(t.tenantId, t.id)],
);
