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
    expect(fromCdkJson).toEqual({ ...DEFAULT_PARAMETERS, alarmEmail: undefined });
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
});
