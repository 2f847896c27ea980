import { MAX_PROMPT_CHARS, text, trimBlankEdges } from '@kontext/core';
import { z } from 'zod';
import { PromptUpsamplingError } from './prompt-upsampler.ts';

// Reads the prompt out of an OpenAI-style chat completion. The answer comes from outside, so it is
// held to the rules a client's prompt is held to (packages/core/src/text.ts): no NUL, not blank,
// at most MAX_PROMPT_CHARS code points, trimmed. Anything else is a bad answer, and the job runs
// with the prompt as given.

const ChatCompletionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string() }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
});

const UpsampledPromptTextSchema = text({ max: MAX_PROMPT_CHARS, notBlank: true });

/** A reasoning model's thoughts before its answer (`<think>…</think>`), which are not the prompt. */
const LEADING_THOUGHTS = /^\s*<think>[\s\S]*?<\/think>/;

/** Quotes some models put around the whole answer despite being asked not to. */
const WRAPPING_QUOTES = /^(?:"([\s\S]*)"|\u201c([\s\S]*)\u201d)$/;

/** The upsampled prompt in an answer's body, or a PromptUpsamplingError (`bad_answer`) saying what is wrong with it. */
export function readUpsampledPrompt(body: string): string {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new PromptUpsamplingError('bad_answer', 'the upsampler answered with something other than JSON');
  }
  const parsed = ChatCompletionSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'the answer';
    throw new PromptUpsamplingError('bad_answer', `the upsampler's answer is not a chat completion (${where}: ${issue?.message ?? 'invalid'})`);
  }
  // min(1) above: there is a first choice.
  const choice = parsed.data.choices[0]!;
  if (choice.finish_reason === 'length') {
    throw new PromptUpsamplingError('bad_answer', 'the upsampled prompt was cut off (finish_reason: length)');
  }
  const cleaned = withoutWrappingQuotes(trimBlankEdges(choice.message.content.replace(LEADING_THOUGHTS, '')));
  const checked = UpsampledPromptTextSchema.safeParse(cleaned);
  if (!checked.success) {
    throw new PromptUpsamplingError('bad_answer', `the upsampled prompt ${checked.error.issues[0]?.message ?? 'is not valid'}`);
  }
  return checked.data;
}

function withoutWrappingQuotes(value: string): string {
  const match = WRAPPING_QUOTES.exec(value);
  const inner = match?.[1] ?? match?.[2];
  // A quote inside means the quotes may belong to the prompt (text the image should show): keep them.
  return inner !== undefined && !/["\u201c\u201d]/.test(inner) ? trimBlankEdges(inner) : value;
}
