-- The rewritten prompt of a job whose prompt upsampling was applied, beside the prompt as sent; present exactly when the outcome is 'applied'.
ALTER TABLE "jobs" ADD COLUMN "upsampled_prompt" text;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_upsampled_prompt_applied" CHECK (coalesce("jobs"."prompt_upsampling" = 'applied', false) = ("jobs"."upsampled_prompt" IS NOT NULL));
