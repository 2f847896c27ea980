import type { ApiApp, ApiDependencies } from '../../env.ts';
import { registerAcceptInvitation } from './accept-invitation.ts';
import { registerCreateInvitation } from './create-invitation.ts';
import { registerListInvitations } from './list-invitations.ts';
import { registerRevokeInvitation } from './revoke-invitation.ts';

/** /v1/invitations: inviting people to the tenant, and accepting. */
export function registerInvitationRoutes(app: ApiApp, deps: ApiDependencies): void {
  registerAcceptInvitation(app, deps);
  registerListInvitations(app, deps);
  registerCreateInvitation(app, deps);
  registerRevokeInvitation(app, deps);
}
