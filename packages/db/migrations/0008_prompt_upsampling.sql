-- What became of a submit's `prompt_upsampling: true` (null when it did not ask): see @kontext/core PROMPT_UPSAMPLING_OUTCOMES.
CREATE TYPE "public"."prompt_upsampling" AS ENUM('applied', 'unavailable', 'failed');--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "prompt_upsampling" "prompt_upsampling";