-- Accounting that must happen exactly once per finished job, in the same transaction as the state
-- change that finishes it, whichever path finishes it (worker, sweeper, cancel, operator): a
-- trigger on the transition from queued/running to a terminal status. It releases the job's
-- active slot, closes its credit reservation (settle on success, refund otherwise) with a ledger
-- entry unique per (job, kind), writes the usage event and upserts the hourly and daily rollups.
-- The 80 latency-column terms below are written out (generated once from LATENCY_COLUMNS) so the
-- upsert stays static SQL.

-- Keys created before scopes existed keep the full access they had.
UPDATE api_keys SET scopes = ARRAY['jobs:write', 'jobs:read', 'usage:read', 'credits:read', 'keys:write'] WHERE scopes = '{}';
--> statement-breakpoint

-- Latency histogram bucket for the usage rollups: 80 log-spaced buckets, 10 ms growing by 15%
-- (about 10 minutes at the top). Mirrored by usageLatencyBucket() in @kontext/core.
CREATE FUNCTION usage_latency_bucket(ms double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT LEAST(79, GREATEST(0, floor(ln(GREATEST(ms, 10.0::float8) / 10.0::float8) / ln(1.15::float8))::integer))
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
  bucket integer := usage_latency_bucket(total_ms);
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
          CASE WHEN succeeded THEN NEW.output_mp ELSE 0 END, queue_ms, engine_ms, total_ms, spent, finished);

  -- One latency column gets the 1: (bucket = i)::int is 1 for exactly one i.
  INSERT INTO usage_rollups AS r (tenant_id, granularity, bucket_start, model, api_key_id, outcome, mode, jobs,
                                  started_jobs, credits, input_mp, output_mp, queue_ms_sum, engine_ms_sum,
                                  lat_00, lat_01, lat_02, lat_03, lat_04, lat_05, lat_06, lat_07, lat_08, lat_09,
                                  lat_10, lat_11, lat_12, lat_13, lat_14, lat_15, lat_16, lat_17, lat_18, lat_19,
                                  lat_20, lat_21, lat_22, lat_23, lat_24, lat_25, lat_26, lat_27, lat_28, lat_29,
                                  lat_30, lat_31, lat_32, lat_33, lat_34, lat_35, lat_36, lat_37, lat_38, lat_39,
                                  lat_40, lat_41, lat_42, lat_43, lat_44, lat_45, lat_46, lat_47, lat_48, lat_49,
                                  lat_50, lat_51, lat_52, lat_53, lat_54, lat_55, lat_56, lat_57, lat_58, lat_59,
                                  lat_60, lat_61, lat_62, lat_63, lat_64, lat_65, lat_66, lat_67, lat_68, lat_69,
                                  lat_70, lat_71, lat_72, lat_73, lat_74, lat_75, lat_76, lat_77, lat_78, lat_79)
  SELECT NEW.tenant_id, g.granularity, date_trunc(g.granularity::text, finished, 'UTC'), NEW.model, NEW.api_key_id,
         NEW.status, NEW.mode, 1, (NEW.started_at IS NOT NULL)::int, spent, NEW.input_mp,
         CASE WHEN succeeded THEN NEW.output_mp ELSE 0 END, COALESCE(queue_ms, 0), COALESCE(engine_ms, 0),
         (bucket = 0)::int,
         (bucket = 1)::int,
         (bucket = 2)::int,
         (bucket = 3)::int,
         (bucket = 4)::int,
         (bucket = 5)::int,
         (bucket = 6)::int,
         (bucket = 7)::int,
         (bucket = 8)::int,
         (bucket = 9)::int,
         (bucket = 10)::int,
         (bucket = 11)::int,
         (bucket = 12)::int,
         (bucket = 13)::int,
         (bucket = 14)::int,
         (bucket = 15)::int,
         (bucket = 16)::int,
         (bucket = 17)::int,
         (bucket = 18)::int,
         (bucket = 19)::int,
         (bucket = 20)::int,
         (bucket = 21)::int,
         (bucket = 22)::int,
         (bucket = 23)::int,
         (bucket = 24)::int,
         (bucket = 25)::int,
         (bucket = 26)::int,
         (bucket = 27)::int,
         (bucket = 28)::int,
         (bucket = 29)::int,
         (bucket = 30)::int,
         (bucket = 31)::int,
         (bucket = 32)::int,
         (bucket = 33)::int,
         (bucket = 34)::int,
         (bucket = 35)::int,
         (bucket = 36)::int,
         (bucket = 37)::int,
         (bucket = 38)::int,
         (bucket = 39)::int,
         (bucket = 40)::int,
         (bucket = 41)::int,
         (bucket = 42)::int,
         (bucket = 43)::int,
         (bucket = 44)::int,
         (bucket = 45)::int,
         (bucket = 46)::int,
         (bucket = 47)::int,
         (bucket = 48)::int,
         (bucket = 49)::int,
         (bucket = 50)::int,
         (bucket = 51)::int,
         (bucket = 52)::int,
         (bucket = 53)::int,
         (bucket = 54)::int,
         (bucket = 55)::int,
         (bucket = 56)::int,
         (bucket = 57)::int,
         (bucket = 58)::int,
         (bucket = 59)::int,
         (bucket = 60)::int,
         (bucket = 61)::int,
         (bucket = 62)::int,
         (bucket = 63)::int,
         (bucket = 64)::int,
         (bucket = 65)::int,
         (bucket = 66)::int,
         (bucket = 67)::int,
         (bucket = 68)::int,
         (bucket = 69)::int,
         (bucket = 70)::int,
         (bucket = 71)::int,
         (bucket = 72)::int,
         (bucket = 73)::int,
         (bucket = 74)::int,
         (bucket = 75)::int,
         (bucket = 76)::int,
         (bucket = 77)::int,
         (bucket = 78)::int,
         (bucket = 79)::int
  FROM (VALUES ('hour'::usage_granularity), ('day'::usage_granularity)) AS g(granularity)
  ON CONFLICT (tenant_id, granularity, bucket_start, model, api_key_id, outcome, mode) DO UPDATE SET
    jobs = r.jobs + 1,
    started_jobs = r.started_jobs + EXCLUDED.started_jobs,
    credits = r.credits + EXCLUDED.credits,
    input_mp = r.input_mp + EXCLUDED.input_mp,
    output_mp = r.output_mp + EXCLUDED.output_mp,
    queue_ms_sum = r.queue_ms_sum + EXCLUDED.queue_ms_sum,
    engine_ms_sum = r.engine_ms_sum + EXCLUDED.engine_ms_sum,
    lat_00 = r.lat_00 + EXCLUDED.lat_00,
    lat_01 = r.lat_01 + EXCLUDED.lat_01,
    lat_02 = r.lat_02 + EXCLUDED.lat_02,
    lat_03 = r.lat_03 + EXCLUDED.lat_03,
    lat_04 = r.lat_04 + EXCLUDED.lat_04,
    lat_05 = r.lat_05 + EXCLUDED.lat_05,
    lat_06 = r.lat_06 + EXCLUDED.lat_06,
    lat_07 = r.lat_07 + EXCLUDED.lat_07,
    lat_08 = r.lat_08 + EXCLUDED.lat_08,
    lat_09 = r.lat_09 + EXCLUDED.lat_09,
    lat_10 = r.lat_10 + EXCLUDED.lat_10,
    lat_11 = r.lat_11 + EXCLUDED.lat_11,
    lat_12 = r.lat_12 + EXCLUDED.lat_12,
    lat_13 = r.lat_13 + EXCLUDED.lat_13,
    lat_14 = r.lat_14 + EXCLUDED.lat_14,
    lat_15 = r.lat_15 + EXCLUDED.lat_15,
    lat_16 = r.lat_16 + EXCLUDED.lat_16,
    lat_17 = r.lat_17 + EXCLUDED.lat_17,
    lat_18 = r.lat_18 + EXCLUDED.lat_18,
    lat_19 = r.lat_19 + EXCLUDED.lat_19,
    lat_20 = r.lat_20 + EXCLUDED.lat_20,
    lat_21 = r.lat_21 + EXCLUDED.lat_21,
    lat_22 = r.lat_22 + EXCLUDED.lat_22,
    lat_23 = r.lat_23 + EXCLUDED.lat_23,
    lat_24 = r.lat_24 + EXCLUDED.lat_24,
    lat_25 = r.lat_25 + EXCLUDED.lat_25,
    lat_26 = r.lat_26 + EXCLUDED.lat_26,
    lat_27 = r.lat_27 + EXCLUDED.lat_27,
    lat_28 = r.lat_28 + EXCLUDED.lat_28,
    lat_29 = r.lat_29 + EXCLUDED.lat_29,
    lat_30 = r.lat_30 + EXCLUDED.lat_30,
    lat_31 = r.lat_31 + EXCLUDED.lat_31,
    lat_32 = r.lat_32 + EXCLUDED.lat_32,
    lat_33 = r.lat_33 + EXCLUDED.lat_33,
    lat_34 = r.lat_34 + EXCLUDED.lat_34,
    lat_35 = r.lat_35 + EXCLUDED.lat_35,
    lat_36 = r.lat_36 + EXCLUDED.lat_36,
    lat_37 = r.lat_37 + EXCLUDED.lat_37,
    lat_38 = r.lat_38 + EXCLUDED.lat_38,
    lat_39 = r.lat_39 + EXCLUDED.lat_39,
    lat_40 = r.lat_40 + EXCLUDED.lat_40,
    lat_41 = r.lat_41 + EXCLUDED.lat_41,
    lat_42 = r.lat_42 + EXCLUDED.lat_42,
    lat_43 = r.lat_43 + EXCLUDED.lat_43,
    lat_44 = r.lat_44 + EXCLUDED.lat_44,
    lat_45 = r.lat_45 + EXCLUDED.lat_45,
    lat_46 = r.lat_46 + EXCLUDED.lat_46,
    lat_47 = r.lat_47 + EXCLUDED.lat_47,
    lat_48 = r.lat_48 + EXCLUDED.lat_48,
    lat_49 = r.lat_49 + EXCLUDED.lat_49,
    lat_50 = r.lat_50 + EXCLUDED.lat_50,
    lat_51 = r.lat_51 + EXCLUDED.lat_51,
    lat_52 = r.lat_52 + EXCLUDED.lat_52,
    lat_53 = r.lat_53 + EXCLUDED.lat_53,
    lat_54 = r.lat_54 + EXCLUDED.lat_54,
    lat_55 = r.lat_55 + EXCLUDED.lat_55,
    lat_56 = r.lat_56 + EXCLUDED.lat_56,
    lat_57 = r.lat_57 + EXCLUDED.lat_57,
    lat_58 = r.lat_58 + EXCLUDED.lat_58,
    lat_59 = r.lat_59 + EXCLUDED.lat_59,
    lat_60 = r.lat_60 + EXCLUDED.lat_60,
    lat_61 = r.lat_61 + EXCLUDED.lat_61,
    lat_62 = r.lat_62 + EXCLUDED.lat_62,
    lat_63 = r.lat_63 + EXCLUDED.lat_63,
    lat_64 = r.lat_64 + EXCLUDED.lat_64,
    lat_65 = r.lat_65 + EXCLUDED.lat_65,
    lat_66 = r.lat_66 + EXCLUDED.lat_66,
    lat_67 = r.lat_67 + EXCLUDED.lat_67,
    lat_68 = r.lat_68 + EXCLUDED.lat_68,
    lat_69 = r.lat_69 + EXCLUDED.lat_69,
    lat_70 = r.lat_70 + EXCLUDED.lat_70,
    lat_71 = r.lat_71 + EXCLUDED.lat_71,
    lat_72 = r.lat_72 + EXCLUDED.lat_72,
    lat_73 = r.lat_73 + EXCLUDED.lat_73,
    lat_74 = r.lat_74 + EXCLUDED.lat_74,
    lat_75 = r.lat_75 + EXCLUDED.lat_75,
    lat_76 = r.lat_76 + EXCLUDED.lat_76,
    lat_77 = r.lat_77 + EXCLUDED.lat_77,
    lat_78 = r.lat_78 + EXCLUDED.lat_78,
    lat_79 = r.lat_79 + EXCLUDED.lat_79;

  RETURN NULL;
END;
$$;
--> statement-breakpoint

CREATE TRIGGER jobs_finalize_accounting
AFTER UPDATE OF status ON jobs
FOR EACH ROW
WHEN (OLD.status IN ('queued', 'running') AND NEW.status NOT IN ('queued', 'running'))
EXECUTE FUNCTION finalize_job_accounting();
