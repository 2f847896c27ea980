import { useState } from 'react';
import { newPasswordProblem, PASSWORD_MIN_LENGTH } from '../lib/passwords.ts';
import { Field, Problem } from './ui.tsx';

// A new password typed twice (the reset link's page, the account page): the two fields, and the
// check before sending (long enough, the same twice), said under them.

/** The pair's state and its check. */
export function useNewPassword() {
  const [password, setPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  return {
    password,
    confirmation,
    problem,
    setPassword,
    setConfirmation,
    /** Whether the pair may be sent; when not, the fields say why. */
    check: (): boolean => {
      const found = newPasswordProblem(password, confirmation);
      setProblem(found);
      return found === null;
    },
    clear: () => {
      setPassword('');
      setConfirmation('');
    },
  };
}

export type NewPassword = ReturnType<typeof useNewPassword>;

/** "New password" (with the rule, and `note` after it), the same again under `againLabel`, and the pair's problem. */
export function NewPasswordFields({ pair, againLabel, note }: { pair: NewPassword; againLabel: string; note?: string }) {
  const rule = `At least ${PASSWORD_MIN_LENGTH} characters.`;
  return (
    <>
      <PasswordField label="New password" hint={note ? `${rule} ${note}` : rule} name="new-password" value={pair.password} onChange={pair.setPassword} />
      <PasswordField label={againLabel} name="confirm-password" value={pair.confirmation} onChange={pair.setConfirmation} />
      <Problem>{pair.problem}</Problem>
    </>
  );
}

function PasswordField({ label, hint, name, value, onChange }: { label: string; hint?: string; name: string; value: string; onChange: (value: string) => void }) {
  return (
    <Field label={label} hint={hint}>
      {(props) => <input {...props} type="password" name={name} autoComplete="new-password" required value={value} onChange={(e) => onChange(e.target.value)} />}
    </Field>
  );
}
