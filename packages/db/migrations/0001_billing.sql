CREATE TYPE "public"."ledger_entry_kind" AS ENUM('grant', 'reserve', 'settle', 'refund');--> statement-breakpoint
CREATE TYPE "public"."usage_granularity" AS ENUM('hour', 'day');--> statement-breakpoint
CREATE TABLE "api_key_rate_limits" (
	"api_key_id" text PRIMARY KEY NOT NULL,
	"theoretical_arrival" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "credit_ledger" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"job_id" text,
	"kind" "ledger_entry_kind" NOT NULL,
	"amount" bigint NOT NULL,
	"balance_after" bigint NOT NULL,
	"reason" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "usage_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"job_id" text NOT NULL,
	"tenant_id" text NOT NULL,
	"api_key_id" text NOT NULL,
	"mode" "api_key_mode" NOT NULL,
	"model" text NOT NULL,
	"engine" text,
	"outcome" "job_status" NOT NULL,
	"input_mp" double precision NOT NULL,
	"output_mp" double precision NOT NULL,
	"queue_ms" integer,
	"engine_ms" integer,
	"total_ms" integer NOT NULL,
	"credits" bigint NOT NULL,
	"finished_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "usage_rollups" (
	"tenant_id" text NOT NULL,
	"granularity" "usage_granularity" NOT NULL,
	"bucket_start" timestamp with time zone NOT NULL,
	"model" text NOT NULL,
	"api_key_id" text NOT NULL,
	"outcome" "job_status" NOT NULL,
	"mode" "api_key_mode" NOT NULL,
	"jobs" bigint NOT NULL,
	"credits" bigint NOT NULL,
	"input_mp" double precision NOT NULL,
	"output_mp" double precision NOT NULL,
	"queue_ms_sum" bigint NOT NULL,
	"engine_ms_sum" bigint NOT NULL,
	"latency_histogram" integer[] NOT NULL,
	CONSTRAINT "usage_rollups_tenant_id_granularity_bucket_start_model_api_key_id_outcome_mode_pk" PRIMARY KEY("tenant_id","granularity","bucket_start","model","api_key_id","outcome","mode")
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "scopes" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "replaced_by_key_id" text;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "mode" "api_key_mode" DEFAULT 'live' NOT NULL;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "credits_available" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "credits_reserved" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "active_jobs" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "active_jobs_by_model" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "max_active_jobs" integer DEFAULT 24 NOT NULL;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "requests_per_minute_per_key" integer DEFAULT 6000 NOT NULL;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "allowed_models" text[];--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "retention_days" integer DEFAULT 30 NOT NULL;--> statement-breakpoint
ALTER TABLE "api_key_rate_limits" ADD CONSTRAINT "api_key_rate_limits_api_key_id_api_keys_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "credit_ledger" ADD CONSTRAINT "credit_ledger_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "credit_ledger" ADD CONSTRAINT "credit_ledger_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_events" ADD CONSTRAINT "usage_events_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "credit_ledger_job_kind_idx" ON "credit_ledger" USING btree ("job_id","kind") WHERE "credit_ledger"."job_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "credit_ledger_tenant_idx" ON "credit_ledger" USING btree ("tenant_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "usage_events_job_idx" ON "usage_events" USING btree ("job_id");--> statement-breakpoint
CREATE INDEX "usage_events_tenant_finished_idx" ON "usage_events" USING btree ("tenant_id","finished_at");--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_credits_nonnegative" CHECK ("tenants"."credits_available" >= 0 AND "tenants"."credits_reserved" >= 0);--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_active_nonnegative" CHECK ("tenants"."active_jobs" >= 0);--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_limits_positive" CHECK ("tenants"."max_active_jobs" > 0 AND "tenants"."requests_per_minute_per_key" > 0 AND "tenants"."retention_days" > 0);