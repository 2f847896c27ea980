import type { ApiApp, ApiDependencies } from '../../env.ts';
import { registerListAuditLog } from './list-audit-log.ts';

/** /v1/audit-log: what people and keys changed. */
export function registerAuditRoutes(app: ApiApp, deps: ApiDependencies): void {
  registerListAuditLog(app, deps);
}
