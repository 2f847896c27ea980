import type { JobRecord } from '@kontext/core';
import { EngineError } from '@kontext/gpu-worker';
import { describe, expect, onTestFinished } from 'vitest';
import { z } from 'zod';
import { ScriptedEngine, TestWorkers } from '../harness/engines.ts';
import { test as base } from '../harness/fixtures.ts';
import { dataUrl, pngImage } from '../harness/images.ts';
import { WebhookReceiver } from '../harness/receiver.ts';
import { detailedPromptFor, UPSAMPLER_MARKERS, UpsamplerServer } from '../harness/upsampler-server.ts';

// Prompt upsampling against real parts: an OpenAI-compatible server on loopback (the platform is
// allowed to reach it, as an operator's own model server would be), the one-machine platform
// configured with it, and worker loops whose engine records the prompt each attempt ran (a
// preview engine underneath, failing on cue to force a retry).

const UPSAMPLER_KEY = `sk-upsampler-${'k'.repeat(32)}`;
const UPSAMPLER_MODEL = 'detail-writer-1';
/** Long enough for a loaded machine to answer on loopback; short enough that the hang case is quick. */
const UPSAMPLER_TIMEOUT_SECONDS = 2;
/** A prompt holding this fails its first engine attempt retryably, so the job runs twice. */
const RETRY_ONCE = '[engine:retry-once]';

interface EngineCall {
  jobId: string;
  attempt: number;
  prompt: string;
}

const LogLineSchema = z.looseObject({ level: z.string(), message: z.string(), jobId: z.string().optional(), reason: z.string().optional(), error: z.string().optional() });

const withUpsampler = base.extend('upsampler', { scope: 'file' }, async ({}, { onCleanup }) => {
  const server = await new UpsamplerServer().start();
  onCleanup(() => server.stop());
  return server;
});

withUpsampler.override('platformOptions', { scope: 'file' }, ({ upsampler }) => ({
  // The test's own worker loops (below) run the jobs.
  workerLoops: 0,
  promptUpsampler: {
    url: upsampler.url('/v1'),
    model: UPSAMPLER_MODEL,
    apiKey: UPSAMPLER_KEY,
    timeoutSeconds: UPSAMPLER_TIMEOUT_SECONDS,
    allowPrivateNetworks: true,
  },
}));

const test = withUpsampler.extend('engineCalls', { scope: 'file' }, async ({ platform }, { onCleanup }) => {
  const calls: EngineCall[] = [];
  const engine = new ScriptedEngine((attempt, request) => {
    calls.push({ jobId: request.jobId, attempt, prompt: request.prompt });
    return request.prompt.includes(RETRY_ONCE) && attempt === 1 ? new EngineError('engine restarting', true) : undefined;
  });
  const workers = new TestWorkers(platform.ctx);
  workers.start(engine);
  workers.start(engine);
  onCleanup(() => workers.stopAll());
  return calls;
});

function logLinesOf(logs: string[], jobId: string) {
  return logs.map((line) => LogLineSchema.parse(JSON.parse(line))).filter((line) => line.jobId === jobId);
}

describe('a job submitted with prompt_upsampling: true, on a platform with an upsampler', () => {
  test('runs the upsampled prompt; its details show it and "applied", while result.prompt stays the prompt sent', async ({ platform, tenant, upsampler, engineCalls }) => {
    const api = platform.client(tenant.key);
    const prompt = 'a lighthouse on a cliff at dusk';
    const detailed = detailedPromptFor(prompt);
    const finished = await api.submitAndWait({ prompt, steps: 2, seed: 7, prompt_upsampling: true });

    expect(finished.status).toBe('Ready');
    expect(finished.result?.prompt).toBe(prompt);
    // The server's quotes and blank edges are gone: the text is what the engine ran.
    expect(finished.details).toMatchObject({ prompt_upsampling: 'applied', upsampled_prompt: detailed });
    expect(engineCalls.filter((call) => call.jobId === finished.id).map((call) => call.prompt)).toEqual([detailed]);
    const record = await api.request<JobRecord>('GET', `/v1/jobs/${finished.id}`);
    expect(record.body).toMatchObject({ prompt, prompt_upsampling: 'applied', upsampled_prompt: detailed });

    const requests = upsampler.requestsFor(prompt);
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
    expect(request?.headers.authorization).toBe(`Bearer ${UPSAMPLER_KEY}`);
    expect(request?.body.model).toBe(UPSAMPLER_MODEL);
    expect(request?.body.messages.map((message) => message.role)).toEqual(['system', 'user']);
    expect(request?.body.messages[0]?.content).toMatch(/rewritten prompt only/);
    expect(request?.userMessage).toBe(`Text-to-image prompt:\n${prompt}`);
  });

  test('asks for an edit as an edit, and its webhook carries the upsampled prompt in the details', async ({ platform, tenant, upsampler, engineCalls }) => {
    const receiver = await new WebhookReceiver().start();
    onTestFinished(() => receiver.stop());
    const api = platform.client(tenant.key);
    const prompt = 'make the sky stormy, keep everything else';
    const submitted = await api.submit({
      prompt,
      input_image: dataUrl(await pngImage({ width: 64, height: 48, seed: 3 })),
      steps: 2,
      prompt_upsampling: true,
      webhook_url: receiver.url('/hook'),
    });
    expect(submitted.status).toBe(200);

    const [delivery] = await receiver.waitFor('/hook', 1);
    const body = z
      .object({ status: z.string(), result: z.object({ prompt: z.string() }).nullable(), details: z.record(z.string(), z.unknown()) })
      .parse(JSON.parse(delivery?.body ?? ''));
    expect(body.status).toBe('Ready');
    expect(body.result?.prompt).toBe(prompt);
    expect(body.details).toMatchObject({ prompt_upsampling: 'applied', upsampled_prompt: detailedPromptFor(prompt) });
    expect(upsampler.requestsFor(prompt).map((request) => request.userMessage)).toEqual([`Edit instruction for the input image:\n${prompt}`]);
    expect(engineCalls.filter((call) => call.jobId === submitted.body.id).map((call) => call.prompt)).toEqual([detailedPromptFor(prompt)]);
  });

  test('runs with the prompt as given and says "failed" when the upsampler answers 500; the key reaches no log', async ({ platform, tenant, upsampler, engineCalls }) => {
    const api = platform.client(tenant.key);
    const prompt = `a red bicycle ${UPSAMPLER_MARKERS.serverError}`;
    const finished = await api.submitAndWait({ prompt, steps: 2, prompt_upsampling: true });

    expect(finished.status).toBe('Ready');
    expect(finished.details?.prompt_upsampling).toBe('failed');
    expect(finished.details).not.toHaveProperty('upsampled_prompt');
    expect(finished.result?.prompt).toBe(prompt);
    expect(engineCalls.filter((call) => call.jobId === finished.id).map((call) => call.prompt)).toEqual([prompt]);
    expect(upsampler.requestsFor(prompt)).toHaveLength(1);
    const warning = logLinesOf(platform.logs, finished.id).find((line) => line.message.startsWith('prompt upsampling failed'));
    expect(warning).toMatchObject({ level: 'warn', reason: 'http_status', error: 'the upsampler answered HTTP 500' });
    // The server quoted the Authorization header back in its error body; none of it was kept.
    expect(platform.logs.join('\n').includes(UPSAMPLER_KEY)).toBe(false);
  });

  test('runs with the prompt as given and says "failed" when the upsampler does not answer in time', { timeout: 60_000 }, async ({ platform, tenant, upsampler, engineCalls }) => {
    const api = platform.client(tenant.key);
    const prompt = `a quiet harbour ${UPSAMPLER_MARKERS.hang}`;
    const finished = await api.submitAndWait({ prompt, steps: 2, prompt_upsampling: true });

    expect(finished.status).toBe('Ready');
    expect(finished.details?.prompt_upsampling).toBe('failed');
    expect(finished.details).not.toHaveProperty('upsampled_prompt');
    expect(engineCalls.filter((call) => call.jobId === finished.id).map((call) => call.prompt)).toEqual([prompt]);
    expect(upsampler.requestsFor(prompt)).toHaveLength(1);
    const warning = logLinesOf(platform.logs, finished.id).find((line) => line.message.startsWith('prompt upsampling failed'));
    expect(warning).toMatchObject({ level: 'warn', reason: 'timeout' });
  });

  test('a retried job runs the upsampled prompt it got the first time and never asks again', { timeout: 60_000 }, async ({ platform, tenant, upsampler, engineCalls }) => {
    const api = platform.client(tenant.key);
    const prompt = `a fox in fresh snow ${RETRY_ONCE}`;
    const detailed = detailedPromptFor(prompt);
    const finished = await api.submitAndWait({ prompt, steps: 2, prompt_upsampling: true });

    expect(finished.status).toBe('Ready');
    expect(finished.details).toMatchObject({ prompt_upsampling: 'applied', upsampled_prompt: detailed });
    const record = await api.request<JobRecord>('GET', `/v1/jobs/${finished.id}`);
    expect(record.body.attempts).toBe(2);
    expect(engineCalls.filter((call) => call.jobId === finished.id)).toEqual([
      { jobId: finished.id, attempt: 1, prompt: detailed },
      { jobId: finished.id, attempt: 2, prompt: detailed },
    ]);
    expect(upsampler.requestsFor(prompt)).toHaveLength(1);
  });

  test('a job that did not ask is neither sent to the upsampler nor marked', async ({ platform, tenant, upsampler, engineCalls }) => {
    const api = platform.client(tenant.key);
    const prompt = 'a plain teapot';
    const finished = await api.submitAndWait({ prompt, steps: 2 });

    expect(finished.status).toBe('Ready');
    expect(finished.details).not.toHaveProperty('prompt_upsampling');
    expect(finished.details).not.toHaveProperty('upsampled_prompt');
    expect(upsampler.requestsFor(prompt)).toHaveLength(0);
    expect(engineCalls.filter((call) => call.jobId === finished.id).map((call) => call.prompt)).toEqual([prompt]);
  });
});
