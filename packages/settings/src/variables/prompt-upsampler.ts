import { z } from 'zod';
import { declareSetting } from '../setting.ts';
import { nonEmptyText, positiveSeconds, switchSchema } from '../value-schemas.ts';

// Prompt upsampling: the operator's OpenAI-compatible chat-completions endpoint that rewrites the
// prompt of a job submitted with `prompt_upsampling: true`. Workers call it, just before the
// engine runs, so these are read wherever worker loops run. Off unless a URL is set.

/**
 * A base URL that `/chat/completions` is appended to: http(s), with no credentials (the key has
 * its own variable, which is never logged), query or fragment (they would end up mid-path).
 */
const upsamplerBaseUrl = z
  .url({ protocol: /^https?$/ })
  .refine((value) => {
    // Text that is no URL at all is reported by the check above.
    if (!URL.canParse(value)) return true;
    const url = new URL(value);
    return url.username === '' && url.password === '' && !/[?#]/.test(value);
  }, 'an http(s) base URL without credentials, query or fragment, e.g. https://llm.example/v1');

export const PROMPT_UPSAMPLER_URL = declareSetting({
  name: 'PROMPT_UPSAMPLER_URL',
  description:
    'Base URL of an OpenAI-compatible chat-completions API (`POST <url>/chat/completions`, e.g. `https://api.openai.com/v1` or a local server\'s `/v1`) that rewrites the prompt of a job submitted with `prompt_upsampling: true`, once per job, before the engine runs it. Needs `PROMPT_UPSAMPLER_MODEL`.',
  schema: upsamplerBaseUrl,
  whenUnset: 'off (such jobs read `prompt_upsampling: "unavailable"`)',
});

export const PROMPT_UPSAMPLER_MODEL = declareSetting({
  name: 'PROMPT_UPSAMPLER_MODEL',
  description: 'The model the upsampler endpoint is asked for (the request\'s `model`).',
  schema: nonEmptyText.max(200),
  whenUnset: 'required with `PROMPT_UPSAMPLER_URL`',
});

export const PROMPT_UPSAMPLER_API_KEY = declareSetting({
  name: 'PROMPT_UPSAMPLER_API_KEY',
  description: 'Sent to the upsampler endpoint as `Authorization: Bearer <key>`; never logged.',
  schema: nonEmptyText.max(4096),
  whenUnset: 'no `Authorization` header',
});

export const PROMPT_UPSAMPLER_TIMEOUT_SECONDS = declareSetting({
  name: 'PROMPT_UPSAMPLER_TIMEOUT_SECONDS',
  description:
    'How long a worker waits for the upsampler\'s whole answer; past it the job runs with the prompt as given (`prompt_upsampling: "failed"`).',
  schema: positiveSeconds(120),
  default: 10,
});

export const ALLOW_PRIVATE_PROMPT_UPSAMPLER = declareSetting({
  name: 'ALLOW_PRIVATE_PROMPT_UPSAMPLER',
  description:
    'Let the upsampler endpoint be on loopback or a private network (the operator\'s own model server). Off, such an address is refused before connecting and the job runs with the prompt as given.',
  schema: switchSchema,
  default: false,
});
