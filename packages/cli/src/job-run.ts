import { stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { sniffImageFormat, type Job, type JobResult, type Kontext, type SubmitOptions } from '@kontext/sdk';
import { Option, type Command } from 'commander';
import { collect, decimalNumber, integer } from './arguments.ts';
import type { CommandContext } from './context.ts';
import { InterruptedError, UsageError } from './errors.ts';
import { printJson, renderFields } from './format.ts';
import { println } from './io.ts';
import { createProgress } from './progress.ts';

// What `edit`, `generate`, `continue` and `jobs wait` share: the submit options, and the wait that
// shows progress on stderr, downloads the image and prints where it went.

export interface JobOptions {
  output?: string;
  ref?: string[];
  model?: string;
  aspectRatio?: string;
  seed?: number;
  format?: 'png' | 'jpeg';
  steps?: number;
  guidance?: number;
  safetyTolerance?: number;
  upsample?: boolean;
  webhookUrl?: string;
  webhookSecret?: string;
  idempotencyKey?: string;
  wait: boolean;
  json?: boolean;
}

export function addOutputOptions(command: Command): Command {
  return command
    .option('-o, --output <file>', 'where to write the image, a file or a directory (default: <job id>.<format> here)')
    .option('--json', 'print one JSON object on stdout instead of text');
}

export function addSubmitOptions(command: Command): Command {
  addOutputOptions(command)
    .option('--ref <image>', 'a character or style reference (repeatable, up to 3)', collect)
    .option('--model <model>', 'model profile (see the API’s /v1/models); default flux-kontext-dev')
    .option('--aspect-ratio <w:h>', 'output aspect ratio, between 21:9 and 9:21 (e.g. 16:9)')
    .option('--seed <n>', 'seed, for reproducible output', integer)
    .addOption(new Option('--format <format>', 'output format').choices(['png', 'jpeg']))
    .option('--steps <n>', 'sampling steps', integer)
    .option('--guidance <x>', 'guidance scale', decimalNumber)
    .option('--safety-tolerance <n>', '0 (strict) to 6 (permissive)', integer)
    .option('--upsample', 'ask for prompt upsampling')
    .option('--webhook-url <url>', 'where to POST the job’s terminal event')
    .option('--webhook-secret <secret>', 'signs that webhook (whsec_… or any string)')
    .option('--idempotency-key <key>', 'makes a repeated submit return the first job')
    .option('--no-wait', 'print the job id and exit without waiting');
  return command;
}

export function submitOptionsOf(options: JobOptions): SubmitOptions {
  const submit: SubmitOptions = {};
  if (options.model !== undefined) submit.model = options.model;
  if (options.aspectRatio !== undefined) submit.aspect_ratio = options.aspectRatio;
  if (options.seed !== undefined) submit.seed = options.seed;
  if (options.format !== undefined) submit.output_format = options.format;
  if (options.steps !== undefined) submit.steps = options.steps;
  if (options.guidance !== undefined) submit.guidance = options.guidance;
  if (options.safetyTolerance !== undefined) submit.safety_tolerance = options.safetyTolerance;
  if (options.upsample) submit.prompt_upsampling = true;
  if (options.webhookUrl !== undefined) submit.webhook_url = options.webhookUrl;
  if (options.webhookSecret !== undefined) submit.webhook_secret = options.webhookSecret;
  if (options.idempotencyKey !== undefined) submit.idempotencyKey = options.idempotencyKey;
  return submit;
}

/**
 * Submits (after checking that the image will have somewhere to go), then either prints the id
 * (--no-wait) or waits, downloads and prints the result.
 */
export async function runSubmit(ctx: CommandContext, options: JobOptions, submit: (client: Kontext) => Promise<Job>): Promise<void> {
  const client = await ctx.client();
  if (options.wait) await checkOutputDirectory(ctx, options.output);
  const job = await submit(client);
  const { io } = ctx;
  const submitted = job.submitted;
  if (!options.wait) {
    if (options.json) {
      printJson(io.stdout, {
        job_id: job.id,
        polling_url: submitted?.polling_url ?? null,
        cost: submitted?.cost ?? null,
        input_mp: submitted?.input_mp ?? null,
        output_mp: submitted?.output_mp ?? null,
      });
    } else {
      println(io.stdout, job.id);
      println(io.stderr, `submitted; follow it with: kontext jobs wait ${job.id}`);
    }
    return;
  }
  println(io.stderr, `submitted ${job.id}${submitted ? ` (${submitted.cost} credits)` : ''}`);
  await waitAndSave(ctx, job, options, submitted?.cost);
}

/** The -o file's directory must exist before a job is paid for and waited on. */
export async function checkOutputDirectory(ctx: CommandContext, output: string | undefined): Promise<void> {
  if (output === undefined) return;
  const path = resolve(ctx.io.cwd, output);
  if ((await isDirectory(path)) || (await isDirectory(dirname(path)))) return;
  throw new UsageError(`--output: ${dirname(path)} is not a directory`);
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** Follows the job until it ends, writes its image and prints where (or throws the job's failure). */
export async function waitAndSave(ctx: CommandContext, job: Job, options: Pick<JobOptions, 'output' | 'json'>, knownCost?: number): Promise<void> {
  const { io } = ctx;
  const result = await follow(ctx, job);
  const bytes = await result.bytes();
  // The format the bytes are in, whatever was asked (a continued edit inherits its parent's).
  const format = sniffImageFormat(bytes) ?? result.details?.output_format ?? 'png';
  const fileName = `${job.id}.${format}`;
  // -o names the file, or a directory to put `<job id>.<format>` in.
  const shownPath = options.output === undefined ? fileName : (await isDirectory(resolve(io.cwd, options.output))) ? join(options.output, fileName) : options.output;
  const path = resolve(io.cwd, shownPath);
  await writeFile(path, bytes);
  const cost = knownCost ?? (await job.get()).cost;
  const width = result.details?.width;
  const height = result.details?.height;
  if (options.json) {
    printJson(io.stdout, {
      job_id: job.id,
      status: result.details?.status ?? 'succeeded',
      output: path,
      format,
      width: width ?? null,
      height: height ?? null,
      seed: result.result.seed,
      cost,
      sample_url: result.result.sample,
    });
    return;
  }
  println(
    io.stdout,
    renderFields([
      ['job', job.id],
      ['output', `${shownPath}${width && height ? ` (${width}x${height} ${format})` : ''}`],
      ['seed', result.result.seed],
      ['cost', `${cost} credits`],
    ]),
  );
}

async function follow(ctx: CommandContext, job: Job): Promise<JobResult> {
  const { io } = ctx;
  const progress = createProgress(io.stderr, job.id, io.isTTY);
  const controller = new AbortController();
  const unsubscribe = io.onInterrupt(() => controller.abort());
  try {
    const result = await job.wait({ signal: controller.signal, onProgress: (event) => progress.update(event) });
    progress.update({ progress: 1, status: result.details?.status ?? 'succeeded' });
    return result;
  } catch (error) {
    if (controller.signal.aborted) throw new InterruptedError(job.id);
    throw error;
  } finally {
    unsubscribe();
    progress.stop();
  }
}
