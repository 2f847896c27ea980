import { Option, type Command } from 'commander';
import { positiveInteger } from '../../arguments.ts';
import type { CommandContext } from '../../context.ts';
import { printJson, renderTable, shortTime } from '../../format.ts';
import { println } from '../../io.ts';

interface DeliveriesOptions {
  job?: string;
  endpoint?: string;
  outcome?: 'pending' | 'succeeded' | 'failed';
  limit?: number;
  cursor?: string;
  json?: boolean;
}

export function registerWebhooksDeliveries(webhooks: Command, ctx: CommandContext): void {
  webhooks
    .command('deliveries')
    .description('every delivery with its attempts, newest first')
    .option('--job <job_id>', 'only deliveries about this job')
    .option('--endpoint <endpoint_id>', 'only deliveries to this endpoint')
    .addOption(new Option('--outcome <outcome>', 'only pending, succeeded or failed deliveries').choices(['pending', 'succeeded', 'failed']))
    .option('--limit <n>', 'deliveries per page (1-100, default 20)', positiveInteger)
    .option('--cursor <cursor>', 'the next page (printed under the table)')
    .option('--json', 'print the page as JSON')
    .action(async (options: DeliveriesOptions) => {
      const client = await ctx.client();
      const page = await client.webhooks.deliveries.list({
        ...(options.job ? { job_id: options.job } : {}),
        ...(options.endpoint ? { endpoint_id: options.endpoint } : {}),
        ...(options.outcome ? { outcome: options.outcome } : {}),
        ...(options.limit !== undefined ? { limit: options.limit } : {}),
        ...(options.cursor ? { cursor: options.cursor } : {}),
      });
      if (options.json) return printJson(ctx.io.stdout, page);
      if (page.data.length === 0) return println(ctx.io.stdout, 'No deliveries.');
      println(
        ctx.io.stdout,
        renderTable(
          ['ID', 'EVENT', 'JOB', 'ENDPOINT', 'STATUS', 'ATTEMPTS', 'LAST', 'CREATED', 'NEXT ATTEMPT'],
          page.data.map((delivery) => [
            delivery.id,
            delivery.event_type,
            delivery.job_id,
            delivery.endpoint_id ?? '(request)',
            delivery.status,
            delivery.attempts,
            delivery.last_status_code !== null ? String(delivery.last_status_code) : (delivery.last_error ?? ''),
            shortTime(delivery.created_at),
            shortTime(delivery.next_attempt_at),
          ]),
          { right: [5] },
        ),
      );
      if (page.next_cursor) println(ctx.io.stderr, `more: kontext webhooks deliveries --cursor ${page.next_cursor}`);
    });
}
