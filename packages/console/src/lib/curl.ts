// The first request a new tenant makes, as a command to paste. Pure: no DOM.

/** The model the first command uses: the SDK's default. */
export const FIRST_MODEL = 'flux-kontext-dev';

/**
 * A curl command that submits a generation. `key` is the whole key where the page has it (right
 * after creating one), else its prefix and an ellipsis, for the user to complete from where they
 * stored it. Single quotes throughout, with any single quote in the inputs escaped for POSIX shells.
 */
export function firstCurlCommand(origin: string, key: string, model: string = FIRST_MODEL): string {
  const body = JSON.stringify({ prompt: 'a red bicycle leaning on a blue wall, morning light' });
  return [
    `curl -sS -X POST ${shellQuote(`${origin}/v1/${model}`)} \\`,
    `  -H ${shellQuote(`x-key: ${key}`)} \\`,
    `  -H 'content-type: application/json' \\`,
    `  -d ${shellQuote(body)}`,
  ].join('\n');
}

export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
