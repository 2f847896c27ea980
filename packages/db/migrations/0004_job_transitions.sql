-- What every change of a job's status or progress also writes, in the same transaction: an event
-- for live status (SSE, resumable by event id), and the webhook deliveries the change calls for
-- (the outbox the dispatcher drains). Triggers, so that every path that changes a job (worker,
-- sweeper, cancel, operator) reports it, exactly once per transition. Both notify listeners at
-- commit: kontext_job_events with the job id, kontext_webhooks when deliveries were written.

-- Prefixed, time-sortable ids in SQL, the same shape as @kontext/core's newId(): prefix, "_",
-- 10 Crockford base32 characters of epoch milliseconds, 16 random ones.
CREATE FUNCTION new_prefixed_id(prefix text) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  alphabet constant text := '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  ms bigint := floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint;
  body text := '';
BEGIN
  FOR i IN REVERSE 9..0 LOOP
    body := body || substr(alphabet, 1 + ((ms >> (5 * i)) & 31)::integer, 1);
  END LOOP;
  FOR i IN 1..16 LOOP
    body := body || substr(alphabet, 1 + floor(random() * 32)::integer, 1);
  END LOOP;
  RETURN prefix || '_' || body;
END;
$$;
--> statement-breakpoint

CREATE FUNCTION record_job_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO job_events (job_id, type, data) VALUES (NEW.id, 'status', jsonb_build_object('status', NEW.status, 'attempt', NEW.attempts));
  ELSIF NEW.status IS DISTINCT FROM OLD.status OR NEW.attempts IS DISTINCT FROM OLD.attempts THEN
    INSERT INTO job_events (job_id, type, data)
    VALUES (NEW.id, 'status', jsonb_strip_nulls(jsonb_build_object('status', NEW.status, 'attempt', NEW.attempts, 'error', NEW.error_message)));
  ELSIF NEW.progress IS DISTINCT FROM OLD.progress AND NEW.progress IS NOT NULL THEN
    INSERT INTO job_events (job_id, type, data) VALUES (NEW.id, 'progress', jsonb_build_object('progress', NEW.progress));
  ELSE
    RETURN NULL;
  END IF;
  PERFORM pg_notify('kontext_job_events', NEW.id);
  RETURN NULL;
END;
$$;
--> statement-breakpoint

CREATE TRIGGER jobs_record_event
AFTER INSERT OR UPDATE OF status, progress, attempts ON jobs
FOR EACH ROW EXECUTE FUNCTION record_job_event();
--> statement-breakpoint

CREATE FUNCTION enqueue_job_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  event text;
  snapshot jsonb;
  written integer := 0;
BEGIN
  -- job.started once (the first claim, not a reclaim); the rest on the move to a terminal status.
  IF OLD.status = 'queued' AND NEW.status = 'running' AND NEW.attempts = 1 THEN
    event := 'job.started';
  ELSIF OLD.status IN ('queued', 'running') THEN
    event := CASE NEW.status
      WHEN 'succeeded' THEN 'job.succeeded'
      WHEN 'failed' THEN 'job.failed'
      WHEN 'request_moderated' THEN 'job.moderated'
      WHEN 'content_moderated' THEN 'job.moderated'
      WHEN 'canceled' THEN 'job.canceled'
    END;
  END IF;
  IF event IS NULL THEN
    RETURN NULL;
  END IF;
  snapshot := jsonb_build_object('status', NEW.status, 'progress', NEW.progress, 'error', NEW.error_message, 'engine', NEW.engine);

  INSERT INTO webhook_deliveries (id, tenant_id, job_id, endpoint_id, url, event_type, snapshot)
  SELECT new_prefixed_id('msg'), NEW.tenant_id, NEW.id, e.id, e.url, event, snapshot
  FROM webhook_endpoints e
  WHERE e.tenant_id = NEW.tenant_id AND e.disabled_at IS NULL AND event = ANY (e.events);
  GET DIAGNOSTICS written = ROW_COUNT;

  -- A per-request webhook (BFL's webhook_url) hears when the job finishes.
  IF NEW.webhook_url IS NOT NULL AND event <> 'job.started' THEN
    INSERT INTO webhook_deliveries (id, tenant_id, job_id, endpoint_id, url, event_type, snapshot)
    VALUES (new_prefixed_id('msg'), NEW.tenant_id, NEW.id, NULL, NEW.webhook_url, event, snapshot);
    written := written + 1;
  END IF;

  IF written > 0 THEN
    PERFORM pg_notify('kontext_webhooks', '');
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint

CREATE TRIGGER jobs_enqueue_webhooks
AFTER UPDATE OF status ON jobs
FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION enqueue_job_webhooks();
