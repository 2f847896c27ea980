// The platform's password rule (packages/core people.ts PASSWORD_MIN_LENGTH), for hints and a
// check before sending; the server decides. A number, not an import: no core code in the bundle.
export const PASSWORD_MIN_LENGTH = 10;

/** Why a new password will be refused, or null: too short, or the confirmation differs. */
export function newPasswordProblem(password: string, confirmation: string): string | null {
  if ([...password].length < PASSWORD_MIN_LENGTH) return `The password needs at least ${PASSWORD_MIN_LENGTH} characters.`;
  if (password !== confirmation) return 'The two passwords differ.';
  return null;
}
