import type { ApiApp, ApiDependencies } from '../../env.ts';
import { registerGetCredits } from './get-credits.ts';
import { registerGetUsage } from './get-usage.ts';
import { registerListLedger } from './list-ledger.ts';

/** The tenant's own account: /v1/credits (and its ledger) and /v1/usage. */
export function registerAccountRoutes(app: ApiApp, deps: ApiDependencies): void {
  registerGetCredits(app, deps);
  registerListLedger(app, deps);
  registerGetUsage(app, deps);
}
