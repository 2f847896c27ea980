import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PARAMETERS, ParameterError, readKontextParameters } from '../src/parameters.ts';
import { buildTestStack, cdkJsonContext } from './kontext-fixture.ts';

// Context validation: every bad value fails the synth with a message naming it.

function read(context: Record<string, unknown>) {
  return readKontextParameters(new App({ context }).node);
}

function problemsOf(context: Record<string, unknown>): string[] {
  try {
    read(context);
  } catch (error) {
    if (error instanceof ParameterError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('parameters', () => {
  it('defaults to what cdk.json says, so the file documents the real defaults', () => {
    const fromCdkJson = read(cdkJsonContext());
    expect(fromCdkJson).toEqual({ ...DEFAULT_PARAMETERS, alarmEmail: undefined, promptUpsampler: undefined, mail: undefined });
    expect(read({})).toEqual(fromCdkJson);
  });

  it('accepts the strings `cdk -c key=value` passes', () => {
    expect(
      read({
        gpuInstanceType: 'p5.4xlarge',
        gpuMaxInstances: '4',
        natGateways: '2',
        auroraMinAcu: '0',
        auroraMaxAcu: '8.5',
        deletionProtection: 'false',
        alarmEmail: 'ops@example.com',
      }),
    ).toMatchObject({
      gpuInstanceType: 'p5.4xlarge',
      gpuMaxInstances: 4,
      natGateways: 2,
      auroraMinAcu: 0,
      auroraMaxAcu: 8.5,
      deletionProtection: false,
      alarmEmail: 'ops@example.com',
    });
  });

  it.each(['g4dn.xlarge', 'g5.2xlarge', 'g6.xlarge', 'g6e.12xlarge', 'p4d.24xlarge', 'p5.48xlarge', 'p5en.48xlarge'])(
    'accepts the GPU instance type %s',
    (gpuInstanceType) => {
      expect(problemsOf({ gpuInstanceType })).toEqual([]);
    },
  );

  it.each(['m7i.xlarge', 'c5.large', 'g5g.xlarge', 'inf2.xlarge', 'g6e', 'xlarge'])('refuses %s as a GPU instance type', (gpuInstanceType) => {
    expect(problemsOf({ gpuInstanceType })).toEqual([
      `gpuInstanceType must be an NVIDIA GPU instance type of the families g4dn, g5, g6, g6e, gr6, p4d, p4de, p5, p5e, p5en (for example g6e.xlarge or p5.4xlarge); got "${gpuInstanceType}"`,
    ]);
  });

  it('fails the synth of the stack itself with that message', () => {
    expect(() => buildTestStack({ gpuInstanceType: 'm7i.xlarge' })).toThrow(/gpuInstanceType must be an NVIDIA GPU instance type.*got "m7i.xlarge"/);
  });

  it('names every bad value at once', () => {
    expect(
      problemsOf({ gpuMaxInstances: '0', natGateways: 3, auroraMinAcu: 0.3, deletionProtection: 'yes', alarmEmail: 'ops', logLevel: 'trace' }),
    ).toEqual([
      'auroraMinAcu must be a multiple of 0.5 from 0 to 256; got 0.3',
      'gpuMaxInstances must be an integer from 1 to 100; got "0"',
      'natGateways must be an integer from 1 to 2; got 3',
      'deletionProtection must be true or false; got "yes"',
      'logLevel must be debug, info, warn or error; got "trace"',
      'alarmEmail must be an email address; got "ops"',
    ]);
  });

  it('refuses an ACU range upside down, a log retention CloudWatch lacks and a backstop shorter than tenant retention', () => {
    expect(problemsOf({ auroraMinAcu: 8, auroraMaxAcu: 4, logRetentionDays: 45, tenantObjectsExpireDays: 30 })).toEqual([
      'auroraMaxAcu (4) must be at least auroraMinAcu (8)',
      expect.stringMatching(/^logRetentionDays must be one of CloudWatch's retention values \(1, 3, 5, 7, 14, 30, .*\); got 45$/),
      'tenantObjectsExpireDays must be an integer from 31 to 36500; got 30',
    ]);
  });

  it('refuses a stack name CloudFormation or the derived resource names would not take', () => {
    expect(problemsOf({ stackName: '1kontext' })).toHaveLength(1);
    expect(problemsOf({ stackName: 'k'.repeat(51) })).toHaveLength(1);
    expect(problemsOf({ stackName: 'Kontext-Staging' })).toEqual([]);
  });

  it('names the stack from context', () => {
    expect(buildTestStack({ stackName: 'KontextStaging' }).stack.stackName).toBe('KontextStaging');
  });

  describe('prompt upsampler', () => {
    const URL_EXPECTATION = 'an http(s) base URL without credentials, query or fragment, e.g. https://llm.example/v1';
    const SECRET_EXPECTATION =
      'the name of an existing Secrets Manager secret, or its complete ARN (with the six-character suffix); a name ending in a hyphen and six letters or digits needs the complete ARN';
    const base = { promptUpsamplerUrl: 'https://llm.example/v1', promptUpsamplerModel: 'gpt-4o-mini' };

    it('is off unless its URL is set, blank values included', () => {
      expect(read({}).promptUpsampler).toBeUndefined();
      expect(read({ promptUpsamplerUrl: '', promptUpsamplerModel: '', promptUpsamplerApiKeySecret: '' }).promptUpsampler).toBeUndefined();
    });

    it('reads the strings `cdk -c key=value` passes, the key as a reference to a secret by name', () => {
      expect(
        read({ ...base, promptUpsamplerTimeoutSeconds: '2.5', promptUpsamplerAllowPrivate: 'true', promptUpsamplerApiKeySecret: 'kontext/upsampler-key' })
          .promptUpsampler,
      ).toEqual({
        url: 'https://llm.example/v1',
        model: 'gpt-4o-mini',
        timeoutSeconds: 2.5,
        allowPrivate: true,
        apiKeySecret: { kind: 'name', name: 'kontext/upsampler-key' },
      });
    });

    it('leaves the timeout to the worker, the switch off and the key out when only URL and model are set', () => {
      expect(read({ ...base, promptUpsamplerUrl: 'http://10.0.3.7:8000/v1' }).promptUpsampler).toEqual({
        url: 'http://10.0.3.7:8000/v1',
        model: 'gpt-4o-mini',
        timeoutSeconds: undefined,
        allowPrivate: false,
        apiKeySecret: undefined,
      });
    });

    it('takes a complete secret ARN', () => {
      const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:kontext/upsampler-key-AbC123';
      expect(read({ ...base, promptUpsamplerApiKeySecret: arn }).promptUpsampler?.apiKeySecret).toEqual({ kind: 'arn', arn });
    });

    it('refuses a URL without a model', () => {
      expect(problemsOf({ promptUpsamplerUrl: base.promptUpsamplerUrl })).toEqual([
        'promptUpsamplerModel must be set with promptUpsamplerUrl: the model the endpoint is asked for',
      ]);
    });

    it('refuses a model or a key secret without a URL, as the worker would at start', () => {
      expect(problemsOf({ promptUpsamplerModel: 'gpt-4o-mini', promptUpsamplerApiKeySecret: 'kontext/upsampler-key' })).toEqual([
        'promptUpsamplerModel needs promptUpsamplerUrl: set the URL too, or unset promptUpsamplerModel',
        'promptUpsamplerApiKeySecret needs promptUpsamplerUrl: set the URL too, or unset promptUpsamplerApiKeySecret',
      ]);
    });

    it.each([
      'ftp://llm.example/v1',
      'https://user:secret@llm.example/v1',
      'https://llm.example/v1?api-version=1',
      'https://llm.example/v1#chat',
      'llm.example/v1',
      ' https://llm.example/v1',
      'file:///v1',
    ])('refuses %j as the URL, with the model set', (promptUpsamplerUrl) => {
      expect(problemsOf({ ...base, promptUpsamplerUrl })).toEqual([`promptUpsamplerUrl must be ${URL_EXPECTATION}; got ${JSON.stringify(promptUpsamplerUrl)}`]);
    });

    it('bounds the timeout as the worker does: above 0, at most 120 seconds', () => {
      expect(problemsOf({ ...base, promptUpsamplerTimeoutSeconds: 120 })).toEqual([]);
      expect(problemsOf({ ...base, promptUpsamplerTimeoutSeconds: '0.5' })).toEqual([]);
      expect(problemsOf({ ...base, promptUpsamplerTimeoutSeconds: 0 })).toEqual(['promptUpsamplerTimeoutSeconds must be a number above 0 and at most 120; got 0']);
      expect(problemsOf({ ...base, promptUpsamplerTimeoutSeconds: '121' })).toEqual([
        'promptUpsamplerTimeoutSeconds must be a number above 0 and at most 120; got "121"',
      ]);
    });

    it.each([
      // Ends like the suffix Secrets Manager appends: ECS would take it for a complete ARN.
      'kontext/upsampler-apikey',
      // A partial ARN, which ECS cannot resolve.
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:kontext/upsampler-key',
      'kontext upsampler key',
      'a'.repeat(513),
    ])('refuses %j as the key secret', (promptUpsamplerApiKeySecret) => {
      expect(problemsOf({ ...base, promptUpsamplerApiKeySecret })).toEqual([
        `promptUpsamplerApiKeySecret must be ${SECRET_EXPECTATION}; got ${JSON.stringify(promptUpsamplerApiKeySecret)}`,
      ]);
    });

    it('names every bad upsampler value at once, with the rest of the context', () => {
      expect(
        problemsOf({
          natGateways: 3,
          promptUpsamplerUrl: 'https://llm.example/v1?key=1',
          promptUpsamplerTimeoutSeconds: 'soon',
          promptUpsamplerAllowPrivate: 'yes',
        }),
      ).toEqual([
        'natGateways must be an integer from 1 to 2; got 3',
        `promptUpsamplerUrl must be ${URL_EXPECTATION}; got "https://llm.example/v1?key=1"`,
        'promptUpsamplerTimeoutSeconds must be a number above 0 and at most 120; got "soon"',
        'promptUpsamplerAllowPrivate must be true or false; got "yes"',
        'promptUpsamplerModel must be set with promptUpsamplerUrl: the model the endpoint is asked for',
      ]);
    });

    it('fails the synth of the stack itself with a ParameterError naming the missing model', () => {
      let thrown: unknown;
      try {
        buildTestStack({ promptUpsamplerUrl: base.promptUpsamplerUrl });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ParameterError);
      expect((thrown as ParameterError).message).toContain('promptUpsamplerModel must be set with promptUpsamplerUrl');
    });
  });
  describe('mail', () => {
    const SECRET_EXPECTATION =
      'the name of an existing Secrets Manager secret, or its complete ARN (with the six-character suffix); a name ending in a hyphen and six letters or digits needs the complete ARN';
    const FROM_EXPECTATION = 'a sender on one line of at most 320 characters, `Name <address>` or `address`, e.g. Kontext <no-reply@example.com>';

    it('is off unless the SMTP URL\'s secret is set, blank values included', () => {
      expect(read({}).mail).toBeUndefined();
      expect(read({ smtpUrlSecret: '', mailFrom: '' }).mail).toBeUndefined();
    });

    it('takes the secret by name, and leaves the sender to the function when unset', () => {
      expect(read({ smtpUrlSecret: 'kontext/smtp-url' }).mail).toEqual({ smtpUrlSecret: { kind: 'name', name: 'kontext/smtp-url' }, from: undefined });
    });

    it('takes a complete secret ARN and a sender', () => {
      const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:kontext/smtp-url-AbC123';
      expect(read({ smtpUrlSecret: arn, mailFrom: 'Kontext <no-reply@example.com>' }).mail).toEqual({
        smtpUrlSecret: { kind: 'arn', arn },
        from: 'Kontext <no-reply@example.com>',
      });
    });

    it.each([
      'no-reply@example.com',
      '<no-reply@example.com>',
      '"Doe, Jane" <jane.doe+kontext@mail.example.co.uk>',
      "O'Brien (bot) <o.brien@example.com>",
      `${'K'.repeat(290)} <no-reply@example.com>`,
    ])('accepts %j as the sender', (mailFrom) => {
      expect(problemsOf({ smtpUrlSecret: 'kontext/smtp-url', mailFrom })).toEqual([]);
    });

    it.each([
      'Kontext',
      'Kontext <no-reply@localhost>',
      'Kontext <no-reply@example.com>\r\nBcc: everyone@example.com',
      'Kontext\n<no-reply@example.com>',
      'a@example.com, b@example.com',
      'Kontext <a..b@example.com>',
      `${'K'.repeat(300)} <no-reply@example.com>`,
    ])('refuses %j as the sender', (mailFrom) => {
      expect(problemsOf({ smtpUrlSecret: 'kontext/smtp-url', mailFrom })).toEqual([`mailFrom must be ${FROM_EXPECTATION}; got ${JSON.stringify(mailFrom)}`]);
    });

    it.each([
      // Ends like the suffix Secrets Manager appends (a hyphen and six characters).
      'kontext/smtp-secret',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:kontext/smtp-url',
      'smtp://user:password@smtp.example.com:587',
    ])('refuses %j as the secret', (smtpUrlSecret) => {
      expect(problemsOf({ smtpUrlSecret })).toEqual([`smtpUrlSecret must be ${SECRET_EXPECTATION}; got ${JSON.stringify(smtpUrlSecret)}`]);
    });

    it('refuses a sender without the secret, and names only the sender when it is invalid as well', () => {
      expect(problemsOf({ mailFrom: 'Kontext <no-reply@example.com>' })).toEqual(["mailFrom needs smtpUrlSecret: set the SMTP URL's secret too, or unset mailFrom"]);
      expect(problemsOf({ mailFrom: 'Kontext' })).toEqual([`mailFrom must be ${FROM_EXPECTATION}; got "Kontext"`]);
    });
  });

  describe('sign-up', () => {
    it('is off with no opening credits by default', () => {
      expect(read({})).toMatchObject({ signup: 'off', signupCredits: 0 });
    });

    it('reads the strings `cdk -c key=value` passes', () => {
      expect(read({ signup: 'open', signupCredits: '1000' })).toMatchObject({ signup: 'open', signupCredits: 1000 });
      expect(read({ signup: 'off', signupCredits: 1_000_000_000 })).toMatchObject({ signup: 'off', signupCredits: 1_000_000_000 });
    });

    it('names each bad value once', () => {
      expect(problemsOf({ signup: 'invite', signupCredits: '-1' })).toEqual([
        'signup must be off or open; got "invite"',
        'signupCredits must be an integer from 0 to 1000000000; got "-1"',
      ]);
      expect(problemsOf({ signup: true, signupCredits: 1.5 })).toEqual([
        'signup must be off or open; got true',
        'signupCredits must be an integer from 0 to 1000000000; got 1.5',
      ]);
      expect(problemsOf({ signupCredits: 1_000_000_001 })).toEqual(['signupCredits must be an integer from 0 to 1000000000; got 1000000001']);
    });
  });
});
