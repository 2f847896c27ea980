-- Accounting that must happen exactly once per finished job, in the same transaction as the state
-- change that finishes it, whichever path finishes it (worker, sweeper, cancel, operator): a
-- trigger on the transition from queued/running to a terminal status. It releases the job's
-- active slot, closes its credit reservation (settle on success, refund otherwise) with a ledger
-- entry unique per (job, kind), writes the usage event and upserts the hourly and daily rollups.

-- Keys created before scopes existed keep the full access they had.
UPDATE api_keys SET scopes = ARRAY['jobs:write', 'jobs:read', 'usage:read', 'credits:read', 'keys:write'] WHERE scopes = '{}';
--> statement-breakpoint

-- Latency histogram bucket for the usage rollups: 80 log-spaced buckets, 10 ms growing by 15%
-- (about 10 minutes at the top). Mirrored by usageLatencyBucket() in @kontext/core.
CREATE FUNCTION usage_latency_bucket(ms double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT LEAST(79, GREATEST(0, floor(ln(GREATEST(ms, 10.0) / 10.0) / ln(1.15))::integer))
$$;
--> statement-breakpoint

CREATE FUNCTION finalize_job_accounting() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  succeeded boolean := NEW.status = 'succeeded';
  finished timestamptz := COALESCE(NEW.finished_at, now());
  total_ms integer := GREATEST(0, round(extract(epoch FROM finished - NEW.created_at) * 1000))::integer;
  queue_ms integer;
  engine_ms integer;
  spent bigint := CASE WHEN NEW.mode = 'live' AND NEW.status = 'succeeded' THEN NEW.cost_credits ELSE 0 END;
  balance bigint;
  bucket integer := usage_latency_bucket(total_ms) + 1;
  histogram integer[] := array_fill(0, ARRAY[80]);
BEGIN
  IF NEW.started_at IS NOT NULL THEN
    queue_ms := GREATEST(0, round(extract(epoch FROM NEW.started_at - NEW.created_at) * 1000))::integer;
    engine_ms := GREATEST(0, round(extract(epoch FROM finished - NEW.started_at) * 1000))::integer;
  END IF;

  IF NEW.mode = 'live' THEN
    UPDATE tenants SET
      active_jobs = active_jobs - 1,
      active_jobs_by_model = jsonb_set(
        active_jobs_by_model, ARRAY[NEW.model],
        to_jsonb(GREATEST(0, COALESCE((active_jobs_by_model ->> NEW.model)::integer, 1) - 1))),
      credits_reserved = credits_reserved - NEW.cost_credits,
      credits_available = credits_available + CASE WHEN succeeded THEN 0 ELSE NEW.cost_credits END
    WHERE id = NEW.tenant_id
    RETURNING credits_available INTO balance;
    IF NEW.cost_credits > 0 THEN
      INSERT INTO credit_ledger (tenant_id, job_id, kind, amount, balance_after, reason)
      VALUES (
        NEW.tenant_id, NEW.id,
        (CASE WHEN succeeded THEN 'settle' ELSE 'refund' END)::ledger_entry_kind,
        CASE WHEN succeeded THEN 0 ELSE NEW.cost_credits END,
        balance,
        'job ' || NEW.status);
    END IF;
  END IF;

  INSERT INTO usage_events (job_id, tenant_id, api_key_id, mode, model, engine, outcome, input_mp, output_mp,
                            queue_ms, engine_ms, total_ms, credits, finished_at)
  VALUES (NEW.id, NEW.tenant_id, NEW.api_key_id, NEW.mode, NEW.model, NEW.engine, NEW.status, NEW.input_mp,
          NEW.output_mp, queue_ms, engine_ms, total_ms, spent, finished);

  histogram[bucket] := 1;
  INSERT INTO usage_rollups AS r (tenant_id, granularity, bucket_start, model, api_key_id, outcome, mode, jobs, credits,
                                  input_mp, output_mp, queue_ms_sum, engine_ms_sum, latency_histogram)
  SELECT NEW.tenant_id, g.granularity, date_trunc(g.granularity::text, finished, 'UTC'), NEW.model, NEW.api_key_id,
         NEW.status, NEW.mode, 1, spent, NEW.input_mp, NEW.output_mp, COALESCE(queue_ms, 0), COALESCE(engine_ms, 0),
         histogram
  FROM (VALUES ('hour'::usage_granularity), ('day'::usage_granularity)) AS g(granularity)
  ON CONFLICT (tenant_id, granularity, bucket_start, model, api_key_id, outcome, mode) DO UPDATE SET
    jobs = r.jobs + 1,
    credits = r.credits + EXCLUDED.credits,
    input_mp = r.input_mp + EXCLUDED.input_mp,
    output_mp = r.output_mp + EXCLUDED.output_mp,
    queue_ms_sum = r.queue_ms_sum + EXCLUDED.queue_ms_sum,
    engine_ms_sum = r.engine_ms_sum + EXCLUDED.engine_ms_sum,
    latency_histogram[bucket] = r.latency_histogram[bucket] + 1;

  RETURN NULL;
END;
$$;
--> statement-breakpoint

CREATE TRIGGER jobs_finalize_accounting
AFTER UPDATE OF status ON jobs
FOR EACH ROW
WHEN (OLD.status IN ('queued', 'running') AND NEW.status NOT IN ('queued', 'running'))
EXECUTE FUNCTION finalize_job_accounting();
--> statement-breakpoint

-- Element-wise sum of latency histograms, for usage queries that merge rollup rows.
CREATE FUNCTION add_histograms(total integer[], next integer[]) RETURNS integer[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN total IS NULL THEN next
              ELSE ARRAY(SELECT a + b FROM unnest(total, next) WITH ORDINALITY AS t(a, b, i) ORDER BY i) END
$$;
--> statement-breakpoint

CREATE AGGREGATE sum_histograms(integer[]) (SFUNC = add_histograms, STYPE = integer[]);
