import { sleep, WEBHOOKS_CHANNEL } from '@kontext/core';
import { claimDueWebhooks, deliverWebhook, errorFields, type ServiceContext } from '@kontext/services';

export interface WebhookDispatcherOptions {
  ctx: ServiceContext;
  /** Deliveries in flight at once. */
  concurrency?: number;
  /** Fallback poll for retries that come due (new deliveries wake the dispatcher by NOTIFY). */
  pollIntervalMs?: number;
}

export class WebhookDispatcher {
  readonly #ctx: ServiceContext;
  readonly #concurrency: number;
  readonly #pollIntervalMs: number;
  readonly #inFlight = new Set<Promise<void>>();
  #stopping = false;
  #pending = true;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #listening: Promise<{ unlisten(): Promise<void> }> | undefined;

  constructor(options: WebhookDispatcherOptions) {
    this.#ctx = options.ctx;
    this.#concurrency = options.concurrency ?? 32;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /**
   * LISTEN for new deliveries. postgres.js listens again by itself after a lost connection; a first
   * LISTEN that failed (the database was down) is dropped and tried again on the next pass, while
   * the poll keeps deliveries moving meanwhile.
   */
  #listen(): void {
    if (this.#listening) return;
    const listening = this.#ctx.db.$client.listen(WEBHOOKS_CHANNEL, () => this.#notify());
    this.#listening = listening;
    listening.catch(() => {
      if (this.#listening === listening) this.#listening = undefined;
    });
  }

  /** Stops claiming; deliveries in flight finish (each is bounded by the webhook timeout). */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#notify();
    await this.#loop;
    const listening = this.#listening;
    this.#listening = undefined;
    if (listening) await listening.then((listener) => listener.unlisten()).catch(() => {});
  }

  #notify(): void {
    this.#pending = true;
    this.#wake?.();
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      this.#listen();
      const free = this.#concurrency - this.#inFlight.size;
      let claimed = 0;
      if (free > 0) {
        // Cleared before claiming, so a notification that arrives meanwhile is not lost.
        this.#pending = false;
        try {
          const batch = await claimDueWebhooks({ ctx: this.#ctx, input: { limit: free } });
          claimed = batch.length;
          for (const delivery of batch) this.#track(delivery.id, () => deliverWebhook({ ctx: this.#ctx, input: { delivery } }));
        } catch (error) {
          this.#ctx.log.error('claiming webhook deliveries failed', errorFields(error));
        }
      }
      // A full batch may mean more are due: claim again at once (if there is room).
      if (claimed > 0 && claimed === free) {
        if (this.#inFlight.size >= this.#concurrency) await Promise.race(this.#inFlight);
        continue;
      }
      if (this.#pending && this.#inFlight.size < this.#concurrency) continue;
      await this.#sleep();
    }
    await Promise.all(this.#inFlight);
  }

  #track(id: string, deliver: () => Promise<unknown>): void {
    const running: Promise<void> = deliver()
      .then(() => undefined)
      .catch((error: unknown) => this.#ctx.log.error('webhook delivery failed', { deliveryId: id, ...errorFields(error) }))
      .finally(() => {
        this.#inFlight.delete(running);
        this.#notify();
      });
    this.#inFlight.add(running);
  }

  async #sleep(): Promise<void> {
    const wakeup = new AbortController();
    this.#wake = () => wakeup.abort();
    await sleep(this.#pollIntervalMs, wakeup.signal);
    this.#wake = undefined;
  }
}
