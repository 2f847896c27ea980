/**
 * The Postgres queue's wire details shared by its adapter (packages/queue) and the repository that
 * enqueues inside a job's own transaction (packages/db): the NOTIFY channel that wakes consumers.
 */
export const POSTGRES_QUEUE_CHANNEL = 'kontext_queue';
