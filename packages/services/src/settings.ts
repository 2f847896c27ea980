import { STANDARD_WEBHOOK_RETRY_SECONDS } from '@kontext/core';
import { z } from 'zod';

// Platform settings the services read. Composition roots build them from their own configuration
// (environment, files) and pass them in; no service reads process.env.

export const PlatformSettingsSchema = z.object({
  /**
   * Absolute base URL clients reach the API at; polling URLs are built from it. Only processes
   * that accept submits need it (workers, the dispatcher and maintenance do not).
   */
  publicBaseUrl: z
    .url()
    .transform((url) => url.replace(/\/+$/, ''))
    .optional(),
  maxInputImageBytes: z.number().int().positive().default(20 * 1024 * 1024),
  maxInputImagePixels: z.number().int().positive().default(20_000_000),
  /** Lifetime of `result.sample` URLs; BFL's are 10 minutes. */
  signedUrlTtlSeconds: z.number().int().min(10).max(7 * 24 * 3600).default(600),
  /** A worker's claim on a job lasts this long without a heartbeat. */
  leaseSeconds: z.number().positive().max(3600).default(30),
  /** Claims per job before it fails for good (worker crashes, lost leases). */
  maxAttempts: z.number().int().min(1).max(20).default(3),
  /** A job nobody started within this long fails instead of staying Pending forever. */
  queueTimeoutSeconds: z.number().int().min(1).default(6 * 3600),
  /** An outbox row older than this is relayed by the sweeper (its send was lost). */
  dispatchGraceSeconds: z.number().min(0).default(10),
  /** How long a verified API key is trusted from the in-process cache; bounds revocation delay. */
  apiKeyCacheTtlMs: z.number().int().min(0).max(60_000).default(5_000),
  /** Bearer token for the operator API; unset turns the operator API off. */
  adminToken: z.string().min(24).optional(),
  /**
   * Wrong operator tokens one source address may send per window; past it, the address is refused
   * (429) until the window ends, before any token is compared.
   */
  adminAuthFailureLimit: z.number().int().min(1).max(1_000_000).default(10),
  adminAuthWindowSeconds: z.number().int().min(1).max(86_400).default(15 * 60),
  /** How long a rotated-out key keeps working, unless the rotation says otherwise. */
  keyRotationGraceSeconds: z.number().int().min(0).max(30 * 24 * 3600).default(24 * 3600),
  webhooks: z
    .object({
      /** Local development only: lets webhook targets be on loopback and private networks. */
      allowPrivateNetworks: z.boolean().default(false),
      timeoutMs: z.number().int().positive().default(15_000),
      /** Bytes of a receiver's answer kept in the attempt log (and read at all). */
      maxResponseBytes: z.number().int().min(0).max(65_536).default(2048),
      /** Delays before each retry after the first attempt (Standard Webhooks' schedule by default). */
      retryScheduleSeconds: z.array(z.number().min(0)).min(0).max(20).default(STANDARD_WEBHOOK_RETRY_SECONDS),
      /** Random spread on each retry delay, as a fraction (0.1 = +-10%), so retries of many messages do not align. */
      retryJitter: z.number().min(0).max(1).default(0.1),
      /** How long a dispatcher holds a claimed delivery; past it another dispatcher may deliver it. */
      claimSeconds: z.number().positive().max(3600).default(60),
    })
    .prefault({}),
  /** People and their console sessions (see auth/ and people/). */
  people: z
    .object({
      /** `open`: anyone may sign up, creating a tenant they own. */
      signup: z.enum(['off', 'open']).default('off'),
      signupCredits: z.number().int().min(0).max(1_000_000_000).default(0),
      sessionIdleSeconds: z.number().int().min(60).max(30 * 24 * 3600).default(24 * 3600),
      sessionMaxSeconds: z.number().int().min(60).max(90 * 24 * 3600).default(14 * 24 * 3600),
      /** Failed sign-ins per account, and per client address, in one window. */
      signInFailureLimit: z.number().int().min(1).max(1_000_000).default(10),
      signInAddressFailureLimit: z.number().int().min(1).max(1_000_000).default(100),
      signInWindowSeconds: z.number().int().min(1).max(86_400).default(15 * 60),
      /** Sessions over plain HTTP on a host other than localhost (a cookie without Secure). */
      allowInsecureCookies: z.boolean().default(false),
      /** How long a mailed invitation or reset link works. */
      passwordResetTtlSeconds: z.number().int().min(60).max(7 * 24 * 3600).default(3600),
      signInLinkTtlSeconds: z.number().int().min(60).max(7 * 24 * 3600).default(24 * 3600),
    })
    .prefault({}),
  urlInputs: z
    .object({
      /** Local development only: lets URL inputs reach loopback and private networks. */
      allowPrivateNetworks: z.boolean().default(false),
      timeoutMs: z.number().int().positive().default(15_000),
      maxRedirects: z.number().int().min(0).max(10).default(5),
    })
    .prefault({}),
  /**
   * The OpenAI-compatible endpoint that rewrites prompts of jobs submitted with
   * `prompt_upsampling: true` (see jobs/upsample-job-prompt.ts). No `url`: no upsampler, and such
   * jobs run with the prompt as given.
   */
  promptUpsampler: z
    .object({
      /** Base URL; requests go to `<url>/chat/completions`. */
      url: z.url().optional(),
      model: z.string().min(1).optional(),
      /** Sent as a Bearer token; a secret, never logged. */
      apiKey: z.string().min(1).optional(),
      /** For the whole exchange: resolving, connecting, sending and reading the answer. */
      timeoutSeconds: z.number().positive().max(120).default(10),
      /** The operator's own model server on loopback or a LAN; off, such addresses are refused. */
      allowPrivateNetworks: z.boolean().default(false),
      /** Bytes of an answer read at all: a longest prompt in JSON with room to spare. */
      maxResponseBytes: z.number().int().min(1024).max(1024 * 1024).default(128 * 1024),
    })
    .refine((upsampler) => upsampler.url === undefined || upsampler.model !== undefined, {
      message: 'a prompt upsampler needs the model to ask for',
      path: ['model'],
    })
    .prefault({}),
});

export type PlatformSettings = z.infer<typeof PlatformSettingsSchema>;
export type PlatformSettingsInput = z.input<typeof PlatformSettingsSchema>;
