import { UsageError } from './errors.ts';

export const WEBHOOK_EVENTS = ['job.started', 'job.succeeded', 'job.failed', 'job.moderated', 'job.canceled'] as const;

export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

/** The events named on the command line, each checked against the list the API takes. */
export function webhookEvents(names: string[]): WebhookEventName[] {
  return names.map((name) => {
    const event = WEBHOOK_EVENTS.find((known) => known === name);
    if (!event) throw new UsageError(`--events: unknown event ${JSON.stringify(name)} (one of ${WEBHOOK_EVENTS.join(', ')})`);
    return event;
  });
}
