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
	"started_jobs" bigint NOT NULL,
	"credits" bigint NOT NULL,
	"input_mp" double precision NOT NULL,
	"output_mp" double precision NOT NULL,
	"queue_ms_sum" bigint NOT NULL,
	"engine_ms_sum" bigint NOT NULL,
	"lat_00" integer DEFAULT 0 NOT NULL,
	"lat_01" integer DEFAULT 0 NOT NULL,
	"lat_02" integer DEFAULT 0 NOT NULL,
	"lat_03" integer DEFAULT 0 NOT NULL,
	"lat_04" integer DEFAULT 0 NOT NULL,
	"lat_05" integer DEFAULT 0 NOT NULL,
	"lat_06" integer DEFAULT 0 NOT NULL,
	"lat_07" integer DEFAULT 0 NOT NULL,
	"lat_08" integer DEFAULT 0 NOT NULL,
	"lat_09" integer DEFAULT 0 NOT NULL,
	"lat_10" integer DEFAULT 0 NOT NULL,
	"lat_11" integer DEFAULT 0 NOT NULL,
	"lat_12" integer DEFAULT 0 NOT NULL,
	"lat_13" integer DEFAULT 0 NOT NULL,
	"lat_14" integer DEFAULT 0 NOT NULL,
	"lat_15" integer DEFAULT 0 NOT NULL,
	"lat_16" integer DEFAULT 0 NOT NULL,
	"lat_17" integer DEFAULT 0 NOT NULL,
	"lat_18" integer DEFAULT 0 NOT NULL,
	"lat_19" integer DEFAULT 0 NOT NULL,
	"lat_20" integer DEFAULT 0 NOT NULL,
	"lat_21" integer DEFAULT 0 NOT NULL,
	"lat_22" integer DEFAULT 0 NOT NULL,
	"lat_23" integer DEFAULT 0 NOT NULL,
	"lat_24" integer DEFAULT 0 NOT NULL,
	"lat_25" integer DEFAULT 0 NOT NULL,
	"lat_26" integer DEFAULT 0 NOT NULL,
	"lat_27" integer DEFAULT 0 NOT NULL,
	"lat_28" integer DEFAULT 0 NOT NULL,
	"lat_29" integer DEFAULT 0 NOT NULL,
	"lat_30" integer DEFAULT 0 NOT NULL,
	"lat_31" integer DEFAULT 0 NOT NULL,
	"lat_32" integer DEFAULT 0 NOT NULL,
	"lat_33" integer DEFAULT 0 NOT NULL,
	"lat_34" integer DEFAULT 0 NOT NULL,
	"lat_35" integer DEFAULT 0 NOT NULL,
	"lat_36" integer DEFAULT 0 NOT NULL,
	"lat_37" integer DEFAULT 0 NOT NULL,
	"lat_38" integer DEFAULT 0 NOT NULL,
	"lat_39" integer DEFAULT 0 NOT NULL,
	"lat_40" integer DEFAULT 0 NOT NULL,
	"lat_41" integer DEFAULT 0 NOT NULL,
	"lat_42" integer DEFAULT 0 NOT NULL,
	"lat_43" integer DEFAULT 0 NOT NULL,
	"lat_44" integer DEFAULT 0 NOT NULL,
	"lat_45" integer DEFAULT 0 NOT NULL,
	"lat_46" integer DEFAULT 0 NOT NULL,
	"lat_47" integer DEFAULT 0 NOT NULL,
	"lat_48" integer DEFAULT 0 NOT NULL,
	"lat_49" integer DEFAULT 0 NOT NULL,
	"lat_50" integer DEFAULT 0 NOT NULL,
	"lat_51" integer DEFAULT 0 NOT NULL,
	"lat_52" integer DEFAULT 0 NOT NULL,
	"lat_53" integer DEFAULT 0 NOT NULL,
	"lat_54" integer DEFAULT 0 NOT NULL,
	"lat_55" integer DEFAULT 0 NOT NULL,
	"lat_56" integer DEFAULT 0 NOT NULL,
	"lat_57" integer DEFAULT 0 NOT NULL,
	"lat_58" integer DEFAULT 0 NOT NULL,
	"lat_59" integer DEFAULT 0 NOT NULL,
	"lat_60" integer DEFAULT 0 NOT NULL,
	"lat_61" integer DEFAULT 0 NOT NULL,
	"lat_62" integer DEFAULT 0 NOT NULL,
	"lat_63" integer DEFAULT 0 NOT NULL,
	"lat_64" integer DEFAULT 0 NOT NULL,
	"lat_65" integer DEFAULT 0 NOT NULL,
	"lat_66" integer DEFAULT 0 NOT NULL,
	"lat_67" integer DEFAULT 0 NOT NULL,
	"lat_68" integer DEFAULT 0 NOT NULL,
	"lat_69" integer DEFAULT 0 NOT NULL,
	"lat_70" integer DEFAULT 0 NOT NULL,
	"lat_71" integer DEFAULT 0 NOT NULL,
	"lat_72" integer DEFAULT 0 NOT NULL,
	"lat_73" integer DEFAULT 0 NOT NULL,
	"lat_74" integer DEFAULT 0 NOT NULL,
	"lat_75" integer DEFAULT 0 NOT NULL,
	"lat_76" integer DEFAULT 0 NOT NULL,
	"lat_77" integer DEFAULT 0 NOT NULL,
	"lat_78" integer DEFAULT 0 NOT NULL,
	"lat_79" integer DEFAULT 0 NOT NULL,
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