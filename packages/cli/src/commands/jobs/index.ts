import type { Command } from 'commander';
import type { CommandContext } from '../../context.ts';
import { registerJobsCancel } from './cancel.ts';
import { registerJobsList } from './list.ts';
import { registerJobsShow } from './show.ts';
import { registerJobsWait } from './wait.ts';

export function registerJobs(program: Command, ctx: CommandContext): void {
  const jobs = program.command('jobs').description('list, show, cancel and wait for jobs');
  registerJobsList(jobs, ctx);
  registerJobsShow(jobs, ctx);
  registerJobsCancel(jobs, ctx);
  registerJobsWait(jobs, ctx);
}
