import type { Command } from 'commander';
import type { CommandContext } from '../../context.ts';
import { milliseconds, printJson, renderFields, shortTime } from '../../format.ts';
import { println } from '../../io.ts';

export function registerJobsShow(jobs: Command, ctx: CommandContext): void {
  jobs
    .command('show')
    .description('a job’s full record: parameters, inputs, output, timings, cost and place in its lineage')
    .argument('<job_id>')
    .option('--json', 'print the record as JSON')
    .action(async (jobId: string, options: { json?: boolean }) => {
      const client = await ctx.client();
      const job = await client.job(jobId).get();
      if (options.json) return printJson(ctx.io.stdout, job);
      const inputs = job.inputs.map((input): [string, string] => [
        `input ${input.position}`,
        `${input.role} ${input.asset_id} (${input.width}x${input.height}${input.producing_job_id ? `, output of ${input.producing_job_id}` : ''}${input.expired ? ', expired' : ''})`,
      ]);
      println(
        ctx.io.stdout,
        renderFields([
          ['id', job.id],
          ['status', `${job.status}${job.progress !== null && job.status === 'running' ? ` (${Math.round(job.progress * 100)}%)` : ''}`],
          ['error', job.error],
          ['mode', job.mode],
          ['model', job.model],
          ['prompt', job.prompt],
          ['size', `${job.width}x${job.height} ${job.output_format}${job.aspect_ratio ? ` (aspect ratio ${job.aspect_ratio})` : ''}`],
          ['seed', job.seed],
          ['steps', job.steps],
          ['guidance', job.guidance],
          ['cost', `${job.cost} credits`],
          ...inputs,
          ['output', job.output ? `${job.output.asset_id}${job.output.expired ? ' (expired)' : ''}` : null],
          ['output url', job.output?.url],
          ['parent', job.parent_job_id],
          ['root', job.root_job_id !== job.id ? job.root_job_id : null],
          ['depth', job.depth],
          ['engine', job.engine],
          ['created', shortTime(job.created_at)],
          ['started', shortTime(job.started_at)],
          ['finished', shortTime(job.finished_at)],
          ['queued for', milliseconds(job.queue_ms)],
          ['engine time', milliseconds(job.engine_ms)],
          ['webhook', job.webhook_url],
        ]),
      );
    });
}
