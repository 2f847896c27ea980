import type { ApiApp, ApiDependencies } from '../../env.ts';
import { registerListMembers } from './list-members.ts';
import { registerRemoveMember } from './remove-member.ts';
import { registerUpdateMember } from './update-member.ts';

/** /v1/members: the people of the tenant and their roles. */
export function registerMemberRoutes(app: ApiApp, deps: ApiDependencies): void {
  registerListMembers(app, deps);
  registerUpdateMember(app, deps);
  registerRemoveMember(app, deps);
}
