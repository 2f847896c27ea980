import { JOB_STATUSES, LEASED_STATUS, TERMINAL_STATUSES, TERMINAL_WEBHOOK_EVENTS, WAITING_STATUS, isTerminal } from '@kontext/core';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/harness/database.ts';
import { JOB_TRIGGERS } from '../src/index.ts';

// The triggers repeat parts of the core state machine in SQL. These tests read what the migrated
// database really runs (pg_trigger, pg_proc), not a copy of it, and compare it with core.

let database: TestDatabase;
let sql: postgres.Sql;

beforeAll(async () => {
  database = await createTestDatabase();
  sql = postgres(database.url, { max: 1, onnotice: () => {} });
});

afterAll(async () => {
  await sql?.end();
  await database?.drop();
});

const ACTIVE_STATUSES = JOB_STATUSES.filter((status) => !isTerminal(status));

async function triggerDefinition(name: string): Promise<string> {
  const [row] = await sql<{ definition: string }[]>`
    SELECT pg_get_triggerdef(t.oid) AS definition FROM pg_trigger t
    WHERE t.tgrelid = 'jobs'::regclass AND t.tgname = ${name}`;
  if (!row) throw new Error(`no trigger ${name} on jobs`);
  return row.definition;
}

async function functionSource(name: string): Promise<string> {
  const [row] = await sql<{ source: string }[]>`SELECT prosrc AS source FROM pg_proc WHERE proname = ${name}`;
  if (!row) throw new Error(`no function ${name}`);
  return row.source;
}

/** The quoted literals of the first array or IN list after `prefix` (pg writes `= ANY (ARRAY['a'::t, ...])`). */
function listAfter(text: string, prefix: RegExp): string[] {
  const match = new RegExp(`${prefix.source}\\s*(?:\\(ARRAY\\[([^\\]]*)\\]\\)|\\(([^)]*)\\))`, 'i').exec(text);
  const list = match?.[1] ?? match?.[2];
  if (list === undefined) throw new Error(`no list after ${prefix.source} in:\n${text}`);
  return [...list.matchAll(/'([^']*)'/g)].map((literal) => literal[1] ?? '');
}

describe('job triggers', () => {
  it('are exactly the ones the transition door names', async () => {
    const rows = await sql<{ name: string }[]>`
      SELECT tgname AS name FROM pg_trigger WHERE tgrelid = 'jobs'::regclass AND NOT tgisinternal ORDER BY tgname`;
    expect(rows.map((row) => row.name)).toEqual([...JOB_TRIGGERS].sort());
  });

  it('account a job once, on the move from an active status to a terminal one', async () => {
    const definition = await triggerDefinition('jobs_finalize_accounting');
    expect(definition).toMatch(/AFTER UPDATE OF status ON public\.jobs FOR EACH ROW/i);
    expect(new Set(listAfter(definition, /old\.status = ANY/))).toEqual(new Set(ACTIVE_STATUSES));
    // "Not active" is how the trigger spells terminal: the two must partition the statuses.
    expect(new Set(listAfter(definition, /new\.status <> ALL/))).toEqual(new Set(ACTIVE_STATUSES));
    expect(new Set([...ACTIVE_STATUSES, ...TERMINAL_STATUSES])).toEqual(new Set(JOB_STATUSES));
  });

  it('send job.started on the first claim and the terminal events core names', async () => {
    expect(await triggerDefinition('jobs_enqueue_webhooks')).toMatch(/WHEN \(\(old\.status IS DISTINCT FROM new\.status\)\)/i);
    const source = await functionSource('enqueue_job_webhooks');
    const started = /OLD\.status = '(\w+)' AND NEW\.status = '(\w+)' AND NEW\.attempts = 1 THEN\s+event := 'job\.started'/.exec(source);
    expect(started?.slice(1)).toEqual([WAITING_STATUS, LEASED_STATUS]);
    expect(new Set(listAfter(source, /ELSIF OLD\.status IN/))).toEqual(new Set(ACTIVE_STATUSES));
    const events = Object.fromEntries([...source.matchAll(/WHEN '(\w+)' THEN '(job\.\w+)'/g)].map((pair) => [pair[1], pair[2]]));
    expect(events).toEqual(TERMINAL_WEBHOOK_EVENTS);
  });

  it('record an event on every change of status, attempt or progress', async () => {
    expect(await triggerDefinition('jobs_record_event')).toMatch(/AFTER INSERT OR UPDATE OF status, progress, attempts ON public\.jobs/i);
  });
});
