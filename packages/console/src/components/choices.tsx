import { Checkbox, RadioGroup } from 'radix-ui';
import type { ReactNode } from 'react';

// The forms' choice controls (Radix primitives; a module of their own, so that only the pages with
// such a form load them): one of several as radios, any of several as checkboxes, each set in a
// fieldset whose legend says what is chosen.

/** One of the choices; the radio group is named `label`. */
export function RadioChoices<Value extends string>({
  legend,
  label,
  value,
  choices,
  onChange,
}: {
  legend: ReactNode;
  label: string;
  value: Value;
  choices: readonly { value: Value; label: ReactNode }[];
  onChange: (value: Value) => void;
}) {
  return (
    <fieldset className="fieldset">
      <legend>{legend}</legend>
      <RadioGroup.Root className="radio-group" value={value} onValueChange={(next) => onChange(next as Value)} aria-label={label}>
        {choices.map((choice) => (
          <label className="choice" key={choice.value}>
            <RadioGroup.Item value={choice.value} className="radio">
              <RadioGroup.Indicator className="radio-indicator" />
            </RadioGroup.Item>
            <span>{choice.label}</span>
          </label>
        ))}
      </RadioGroup.Root>
    </fieldset>
  );
}

/** Any of the choices, each named by its label and its value (as code: a scope, an event type). */
export function CheckboxChoices<Value extends string>({
  legend,
  choices,
  checked,
  onToggle,
}: {
  legend: ReactNode;
  choices: readonly { value: Value; label: string }[];
  checked: readonly Value[];
  onToggle: (value: Value, on: boolean) => void;
}) {
  return (
    <fieldset className="fieldset">
      <legend>{legend}</legend>
      {choices.map((choice) => (
        <label className="choice" key={choice.value}>
          <Checkbox.Root className="checkbox" checked={checked.includes(choice.value)} onCheckedChange={(state) => onToggle(choice.value, state === true)}>
            <Checkbox.Indicator className="checkbox-indicator">✓</Checkbox.Indicator>
          </Checkbox.Root>
          <span>
            {choice.label} <code className="muted">{choice.value}</code>
          </span>
        </label>
      ))}
    </fieldset>
  );
}
