import type { ApiApp, ApiDependencies } from '../../env.ts';
import { registerCancelJob } from './cancel-job.ts';
import { registerContinueEdit } from './continue-edit.ts';
import { registerGetJob } from './get-job.ts';
import { registerGetLineage } from './get-lineage.ts';
import { registerGetResult } from './get-result.ts';
import { registerJobEvents } from './job-events.ts';
import { registerListJobs } from './list-jobs.ts';
import { registerSubmitJob } from './submit-job.ts';

/**
 * Jobs: BFL's submit (POST /v1/<model>) and poll (/v1/get_result), then /v1/jobs and its
 * sub-resources. The BFL pair comes first, as it always has, so the OpenAPI document keeps its order.
 */
export function registerJobRoutes(app: ApiApp, deps: ApiDependencies): void {
  registerSubmitJob(app, deps);
  registerGetResult(app, deps);
  registerListJobs(app, deps);
  registerGetJob(app, deps);
  registerGetLineage(app, deps);
  registerJobEvents(app, deps);
  registerContinueEdit(app, deps);
  registerCancelJob(app, deps);
}
