import type { ApiApp, ApiDependencies } from '../../env.ts';
import { registerAdjustCredits } from './adjust-credits.ts';
import { registerCreateTenant } from './create-tenant.ts';
import { registerCreateTenantKey } from './create-tenant-key.ts';
import { registerGetPlatformUsage } from './get-platform-usage.ts';
import { registerGetTenant } from './get-tenant.ts';
import { registerInviteTenantMember } from './invite-tenant-member.ts';
import { registerListTenants } from './list-tenants.ts';
import { registerUpdateTenant } from './update-tenant.ts';

/** /admin/v1: the operator API (tenants, their credits, keys and invitations, platform usage), behind the admin token. */
export function registerAdminRoutes(app: ApiApp, deps: ApiDependencies): void {
  registerCreateTenant(app, deps);
  registerListTenants(app, deps);
  registerGetTenant(app, deps);
  registerUpdateTenant(app, deps);
  registerAdjustCredits(app, deps);
  registerCreateTenantKey(app, deps);
  registerInviteTenantMember(app, deps);
  registerGetPlatformUsage(app, deps);
}
