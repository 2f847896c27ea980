import type { CallOptions } from '../call-options.ts';
import type { Transport } from '../transport.ts';
import type { JobList, JobListQuery } from '../types.ts';

/** The tenant's jobs, newest first, in cursor pages (`cursor` = the previous page's `next_cursor`). */
export class JobsResource {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  list(query: JobListQuery = {}, options: CallOptions = {}): Promise<JobList> {
    return this.#transport.json<JobList>({ method: 'GET', path: '/v1/jobs', query, signal: options.signal });
  }
}
