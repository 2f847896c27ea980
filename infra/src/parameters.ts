import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { MAX_STACK_NAME_LENGTH } from './naming.ts';

/** Everything an operator may tune at deploy time, read from CDK context (`cdk.json` or `-c key=value`). */
export interface KontextParameters {
  readonly stackName: string;
  /** EC2 instance type of the GPU workers; one of the NVIDIA GPU families. */
  readonly gpuInstanceType: string;
  readonly gpuMaxInstances: number;
  readonly gpuWorkerMaxTasks: number;
  readonly previewWorkerMaxTasks: number;
  readonly natGateways: number;
  readonly auroraMinAcu: number;
  readonly auroraMaxAcu: number;
  readonly deletionProtection: boolean;
  readonly backupRetentionDays: number;
  readonly logRetentionDays: RetentionDays;
  /** Lifecycle backstop for `tenants/` objects; longer than any tenant retention. */
  readonly tenantObjectsExpireDays: number;
  readonly apiThrottleRateLimit: number;
  readonly apiThrottleBurstLimit: number;
  readonly dispatcherMaxConcurrency: number;
  readonly jobsQueueMaxAgeMinutes: number;
  readonly api5xxRatePercent: number;
  readonly api5xxMinRequests: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  readonly alarmEmail: string | undefined;
  /** Off unless `promptUpsamplerUrl` is set: then the workers get the PROMPT_UPSAMPLER_* variables. */
  readonly promptUpsampler: PromptUpsamplerParameters | undefined;
  /** Off unless `smtpUrlSecret` is set: then the API function sends mail (invitations, password resets). */
  readonly mail: MailParameters | undefined;
  /** `signup` (SIGNUP): `open` lets anyone sign up at /console, creating a tenant they own; `off`, by invitation only. */
  readonly signup: 'off' | 'open';
  /** `signupCredits` (SIGNUP_CREDITS): a signed-up tenant's opening credit grant. */
  readonly signupCredits: number;
}

/** An existing Secrets Manager secret, as the operator named it. */
export type SecretReference = { readonly kind: 'name'; readonly name: string } | { readonly kind: 'arn'; readonly arn: string };

/** The worker's prompt upsampler (packages/settings, variables/prompt-upsampler.ts). */
export interface PromptUpsamplerParameters {
  /** `promptUpsamplerUrl` (PROMPT_UPSAMPLER_URL). */
  readonly url: string;
  /** `promptUpsamplerModel` (PROMPT_UPSAMPLER_MODEL), required with the URL. */
  readonly model: string;
  /** `promptUpsamplerTimeoutSeconds` (PROMPT_UPSAMPLER_TIMEOUT_SECONDS); unset, the worker's own default applies. */
  readonly timeoutSeconds: number | undefined;
  /** `promptUpsamplerAllowPrivate` (ALLOW_PRIVATE_PROMPT_UPSAMPLER): an endpoint inside the VPC. */
  readonly allowPrivate: boolean;
  /**
   * `promptUpsamplerApiKeySecret`: the name or complete ARN of a secret whose plain string is the
   * key (PROMPT_UPSAMPLER_API_KEY). The key itself never passes through CDK context, so it stays out
   * of cdk.json, the command line and the template. Only the workers' execution roles are granted
   * it: a secret under a customer-managed KMS key also needs kms:Decrypt granted to them on that key.
   * Unset: no Authorization header.
   */
  readonly apiKeySecret: SecretReference | undefined;
}

/** The API function's mail (packages/settings, variables/console.ts and SMTP_URL_SECRET_ARN). */
export interface MailParameters {
  /**
   * `smtpUrlSecret`: the name or complete ARN of a secret whose plain string is the SMTP URL,
   * `smtp://user:password@host:587` or `smtps://…:465` (SMTP_URL_SECRET_ARN, read at cold start).
   * The URL carries a password, so it never passes through CDK context: it stays out of cdk.json,
   * the command line and the template. Only the API function's role is granted it: a secret under a
   * customer-managed KMS key also needs kms:Decrypt granted to that role on the key.
   */
  readonly smtpUrlSecret: SecretReference;
  /** `mailFrom` (MAIL_FROM), e.g. `Kontext <no-reply@example.com>`; unset, the function's own default. */
  readonly from: string | undefined;
}

export const DEFAULT_PARAMETERS: Omit<KontextParameters, 'alarmEmail' | 'promptUpsampler' | 'mail'> = {
  stackName: 'Kontext',
  gpuInstanceType: 'g6e.xlarge',
  gpuMaxInstances: 2,
  gpuWorkerMaxTasks: 2,
  previewWorkerMaxTasks: 2,
  natGateways: 1,
  auroraMinAcu: 0.5,
  auroraMaxAcu: 4,
  deletionProtection: true,
  backupRetentionDays: 7,
  logRetentionDays: RetentionDays.ONE_MONTH,
  tenantObjectsExpireDays: 400,
  apiThrottleRateLimit: 100,
  apiThrottleBurstLimit: 200,
  dispatcherMaxConcurrency: 5,
  jobsQueueMaxAgeMinutes: 15,
  api5xxRatePercent: 5,
  api5xxMinRequests: 20,
  logLevel: 'info',
  signup: 'off',
  signupCredits: 0,
};

/**
 * NVIDIA GPU families whose x86_64 instances run the ECS GPU-optimized AMI (T4, A10G, L4, L40S,
 * A100, H100, H200). Graviton GPU families (g5g) are left out: the worker image is built for x86_64.
 */
export const GPU_INSTANCE_FAMILIES = ['g4dn', 'g5', 'g6', 'g6e', 'gr6', 'p4d', 'p4de', 'p5', 'p5e', 'p5en'] as const;

/** Default tenant retention (days from last use), enforced by the maintenance function. */
const DEFAULT_TENANT_RETENTION_DAYS = 30;

const RETENTION_DAY_VALUES = new Set<number>(
  Object.values(RetentionDays).filter((value): value is number => typeof value === 'number'),
);

/** Thrown with every invalid context value listed, so one failed synth names them all. */
export class ParameterError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid CDK context (cdk.json "context" or -c key=value):\n  - ${problems.join('\n  - ')}`);
    this.name = 'ParameterError';
  }
}

type Raw = unknown;

interface NumberCheck {
  readonly min: number;
  readonly max: number;
  /** The minimum itself is refused (a duration that must be above zero). */
  readonly aboveMin?: boolean;
  readonly integer?: boolean;
  readonly step?: number;
}

/** Context values given on the command line arrive as strings, those from cdk.json as JSON values. */
class ContextReader {
  readonly problems: string[] = [];

  constructor(private readonly node: Node) {}

  private raw(key: string): Raw {
    return this.node.tryGetContext(key);
  }

  /** Whether the key has a value at all: blank counts as unset, as cdk.json's `""` placeholders are. */
  has(key: string): boolean {
    const raw = this.raw(key);
    return raw !== undefined && raw !== null && raw !== '';
  }

  number(key: string, fallback: number, check: NumberCheck): number {
    return this.optionalNumber(key, check) ?? fallback;
  }

  /** Unset or invalid (then listed as a problem): undefined. */
  optionalNumber(key: string, check: NumberCheck): number | undefined {
    const raw = this.raw(key);
    if (raw === undefined || raw === null || raw === '') return undefined;
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
    const kind = check.integer ? 'an integer' : check.step ? `a multiple of ${check.step}` : 'a number';
    const range = check.aboveMin ? `above ${check.min} and at most ${check.max}` : `from ${check.min} to ${check.max}`;
    if (
      !Number.isFinite(value) ||
      value < check.min ||
      (check.aboveMin && value === check.min) ||
      value > check.max ||
      (check.integer && !Number.isInteger(value)) ||
      (check.step !== undefined && !Number.isInteger(value / check.step))
    ) {
      this.problems.push(`${key} must be ${kind} ${range}; got ${JSON.stringify(raw)}`);
      return undefined;
    }
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    const raw = this.raw(key);
    if (raw === undefined || raw === null || raw === '') return fallback;
    if (raw === true || raw === 'true') return true;
    if (raw === false || raw === 'false') return false;
    this.problems.push(`${key} must be true or false; got ${JSON.stringify(raw)}`);
    return fallback;
  }

  string(key: string, fallback: string, pattern: RegExp, expectation: string): string {
    const raw = this.raw(key);
    if (raw === undefined || raw === null || raw === '') return fallback;
    if (typeof raw !== 'string' || !pattern.test(raw)) {
      this.problems.push(`${key} must be ${expectation}; got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return raw;
  }

  /** A pattern, or a test for what a pattern cannot say (a URL's parts, say). */
  optionalString(key: string, pattern: RegExp | ((value: string) => boolean), expectation: string): string | undefined {
    const raw = this.raw(key);
    if (raw === undefined || raw === null || raw === '') return undefined;
    if (typeof raw !== 'string' || !(typeof pattern === 'function' ? pattern(raw) : pattern.test(raw))) {
      this.problems.push(`${key} must be ${expectation}; got ${JSON.stringify(raw)}`);
      return undefined;
    }
    return raw;
  }
}

/**
 * The same rule as PROMPT_UPSAMPLER_URL's: an http(s) base URL that `/chat/completions` is appended
 * to, so no query or fragment (they would end up mid-path) and no credentials (the key has its own
 * secret, while the URL is plain text in the template). Whitespace is refused outright rather than
 * trimmed, so the template holds exactly what the worker validates.
 */
function isUpsamplerBaseUrl(value: string): boolean {
  if (/[\s?#]/.test(value) || !URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && url.username === '' && url.password === '';
}

/** The characters Secrets Manager allows in a secret name. */
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
/** A complete secret ARN: the name, then the hyphen and six characters Secrets Manager appends. */
const SECRET_COMPLETE_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
/**
 * A name ending like that suffix cannot be told from a complete ARN when ECS resolves it: the task
 * would fail to start with AccessDenied, so such a secret must be given by its complete ARN.
 */
const SUFFIX_LIKE_ENDING = /-[A-Za-z0-9]{6}$/;

function readSecretReference(context: ContextReader, key: string): SecretReference | undefined {
  const value = context.optionalString(
    key,
    (text) => SECRET_COMPLETE_ARN.test(text) || (!text.startsWith('arn:') && SECRET_NAME.test(text) && !SUFFIX_LIKE_ENDING.test(text)),
    'the name of an existing Secrets Manager secret, or its complete ARN (with the six-character suffix); a name ending in a hyphen and six letters or digits needs the complete ARN',
  );
  if (value === undefined) return undefined;
  return value.startsWith('arn:') ? { kind: 'arn', arn: value } : { kind: 'name', name: value };
}

/**
 * What the worker refuses without a URL (PROMPT_UPSAMPLER_RULES). The timeout and the private
 * switch only tune an upsampler, so without one they are validated but change nothing, as there.
 */
const PROMPT_UPSAMPLER_DEPENDENT_KEYS = ['promptUpsamplerModel', 'promptUpsamplerApiKeySecret'] as const;

/**
 * The prompt upsampler, off unless its URL is set. Half a configuration is refused here, as the
 * worker would refuse it at start: better a failed synth than a deployed service whose tasks never
 * become healthy.
 */
function readPromptUpsampler(context: ContextReader): PromptUpsamplerParameters | undefined {
  const urlGiven = context.has('promptUpsamplerUrl');
  const url = context.optionalString(
    'promptUpsamplerUrl',
    isUpsamplerBaseUrl,
    'an http(s) base URL without credentials, query or fragment, e.g. https://llm.example/v1',
  );
  // The worker's limits: a model name of at most 200 characters, a timeout above 0 and at most 120 s.
  const model = context.optionalString('promptUpsamplerModel', /^[^\r\n]{1,200}$/, 'a model name of at most 200 characters on one line');
  const timeoutSeconds = context.optionalNumber('promptUpsamplerTimeoutSeconds', { min: 0, max: 120, aboveMin: true });
  const allowPrivate = context.boolean('promptUpsamplerAllowPrivate', false);
  const apiKeySecret = readSecretReference(context, 'promptUpsamplerApiKeySecret');
  if (!urlGiven) {
    for (const key of PROMPT_UPSAMPLER_DEPENDENT_KEYS) {
      if (context.has(key)) context.problems.push(`${key} needs promptUpsamplerUrl: set the URL too, or unset ${key}`);
    }
    return undefined;
  }
  if (!context.has('promptUpsamplerModel')) {
    context.problems.push('promptUpsamplerModel must be set with promptUpsamplerUrl: the model the endpoint is asked for');
  }
  // An invalid value was listed above; the synth fails then, so nothing is returned for it.
  if (url === undefined || model === undefined) return undefined;
  return { url, model, timeoutSeconds, allowPrivate, apiKeySecret };
}

/**
 * An address as the mailer checks one (zod's email: dot-separated local part, a domain of labels
 * ending in a two-letter-or-longer top level), so that a deploy never ends with an API function
 * whose every cold start fails on its sender (`validateFrom` in packages/mailer).
 */
const MAIL_ADDRESS = "(?:[A-Za-z0-9_'+-]+\\.)*[A-Za-z0-9_'+-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9-]*\\.)+[A-Za-z]{2,}";
/** A display name: quoted, or without the characters that would split or quote it. */
const MAIL_DISPLAY_NAME = '(?:[^"<>@,;\\\\]*|\\s*"[^"\\\\]*"\\s*)';
/**
 * A sender: one line of at most 320 characters (MAIL_FROM's limit) with no control characters,
 * holding one address, alone or in angle brackets after a name. Stricter than the mailer, never looser.
 */
const MAIL_FROM = new RegExp(`^(?=[^\\x00-\\x1f\\x7f]{1,320}$)(?:${MAIL_DISPLAY_NAME}<${MAIL_ADDRESS}>|${MAIL_ADDRESS})$`);

/**
 * The API function's mail, off unless the SMTP URL's secret is set. A sender without a server is
 * refused: it would change nothing, and the operator who set it expects mail.
 */
function readMail(context: ContextReader): MailParameters | undefined {
  const smtpUrlSecret = readSecretReference(context, 'smtpUrlSecret');
  const from = context.optionalString(
    'mailFrom',
    MAIL_FROM,
    'a sender on one line of at most 320 characters, `Name <address>` or `address`, e.g. Kontext <no-reply@example.com>',
  );
  if (!context.has('smtpUrlSecret')) {
    // An invalid sender was listed above already: one message per key.
    if (from !== undefined) context.problems.push('mailFrom needs smtpUrlSecret: set the SMTP URL\'s secret too, or unset mailFrom');
    return undefined;
  }
  // An invalid value was listed above; the synth fails then, so nothing is returned for it.
  if (smtpUrlSecret === undefined) return undefined;
  return { smtpUrlSecret, from };
}

const GPU_INSTANCE_TYPE = new RegExp(`^(${GPU_INSTANCE_FAMILIES.join('|')})\\.(\\d*xlarge|large|metal(-\\d+xl)?)$`);

/** Reads and validates every parameter; throws one ParameterError naming each bad value. */
export function readKontextParameters(node: Node): KontextParameters {
  const context = new ContextReader(node);
  const d = DEFAULT_PARAMETERS;
  const auroraMinAcu = context.number('auroraMinAcu', d.auroraMinAcu, { min: 0, max: 256, step: 0.5 });
  const auroraMaxAcu = context.number('auroraMaxAcu', d.auroraMaxAcu, { min: 1, max: 256, step: 0.5 });
  if (auroraMaxAcu < auroraMinAcu) {
    context.problems.push(`auroraMaxAcu (${auroraMaxAcu}) must be at least auroraMinAcu (${auroraMinAcu})`);
  }
  const logRetentionDays = context.number('logRetentionDays', d.logRetentionDays, { min: 1, max: 9999, integer: true });
  if (!RETENTION_DAY_VALUES.has(logRetentionDays)) {
    context.problems.push(
      `logRetentionDays must be one of CloudWatch's retention values (${[...RETENTION_DAY_VALUES].join(', ')}); got ${logRetentionDays}`,
    );
  }
  const apiThrottleRateLimit = context.number('apiThrottleRateLimit', d.apiThrottleRateLimit, { min: 1, max: 10_000, integer: true });
  const apiThrottleBurstLimit = context.number('apiThrottleBurstLimit', d.apiThrottleBurstLimit, { min: 1, max: 5_000, integer: true });
  const parameters: KontextParameters = {
    stackName: context.string(
      'stackName',
      d.stackName,
      new RegExp(`^[A-Za-z][A-Za-z0-9-]{0,${MAX_STACK_NAME_LENGTH - 1}}$`),
      `a CloudFormation stack name: a letter, then letters, digits or hyphens, at most ${MAX_STACK_NAME_LENGTH} characters`,
    ),
    gpuInstanceType: context.string(
      'gpuInstanceType',
      d.gpuInstanceType,
      GPU_INSTANCE_TYPE,
      `an NVIDIA GPU instance type of the families ${GPU_INSTANCE_FAMILIES.join(', ')} (for example g6e.xlarge or p5.4xlarge)`,
    ),
    gpuMaxInstances: context.number('gpuMaxInstances', d.gpuMaxInstances, { min: 1, max: 100, integer: true }),
    gpuWorkerMaxTasks: context.number('gpuWorkerMaxTasks', d.gpuWorkerMaxTasks, { min: 1, max: 100, integer: true }),
    previewWorkerMaxTasks: context.number('previewWorkerMaxTasks', d.previewWorkerMaxTasks, { min: 1, max: 20, integer: true }),
    // Private subnets with egress need at least one NAT gateway; two AZs make more than two pointless.
    natGateways: context.number('natGateways', d.natGateways, { min: 1, max: 2, integer: true }),
    auroraMinAcu,
    auroraMaxAcu,
    deletionProtection: context.boolean('deletionProtection', d.deletionProtection),
    backupRetentionDays: context.number('backupRetentionDays', d.backupRetentionDays, { min: 1, max: 35, integer: true }),
    logRetentionDays: logRetentionDays as RetentionDays,
    tenantObjectsExpireDays: context.number('tenantObjectsExpireDays', d.tenantObjectsExpireDays, {
      min: DEFAULT_TENANT_RETENTION_DAYS + 1,
      max: 36_500,
      integer: true,
    }),
    apiThrottleRateLimit,
    apiThrottleBurstLimit,
    // Lambda's SQS event sources accept a maximum concurrency from 2 upwards.
    dispatcherMaxConcurrency: context.number('dispatcherMaxConcurrency', d.dispatcherMaxConcurrency, { min: 2, max: 1000, integer: true }),
    jobsQueueMaxAgeMinutes: context.number('jobsQueueMaxAgeMinutes', d.jobsQueueMaxAgeMinutes, { min: 1, max: 1440, integer: true }),
    api5xxRatePercent: context.number('api5xxRatePercent', d.api5xxRatePercent, { min: 0.1, max: 100 }),
    api5xxMinRequests: context.number('api5xxMinRequests', d.api5xxMinRequests, { min: 1, max: 1_000_000, integer: true }),
    logLevel: context.string('logLevel', d.logLevel, /^(debug|info|warn|error)$/, 'debug, info, warn or error') as KontextParameters['logLevel'],
    alarmEmail: context.optionalString('alarmEmail', /^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'an email address'),
    promptUpsampler: readPromptUpsampler(context),
    mail: readMail(context),
    signup: context.string('signup', d.signup, /^(off|open)$/, 'off or open') as KontextParameters['signup'],
    signupCredits: context.number('signupCredits', d.signupCredits, { min: 0, max: 1_000_000_000, integer: true }),
  };
  if (context.problems.length > 0) throw new ParameterError(context.problems);
  return parameters;
}
