import { sql } from 'drizzle-orm';

/** Database time `seconds` from now, for drizzle updates and filters (the clock is Postgres's, never a process's). */
export const secondsFromNow = (seconds: number) => sql`now() + make_interval(secs => ${seconds})`;

/** Database time `seconds` ago. */
export const secondsAgo = (seconds: number) => sql`now() - make_interval(secs => ${seconds})`;
