import type { SettingValues } from '@kontext/settings';
import type { PlatformSettingsInput } from './settings.ts';

/**
 * The platform settings a process's environment gives, whatever the process: each variable maps
 * to its setting here and nowhere else, so no process can read a variable and then forget to
 * pass it on. What a process did not read stays undefined and takes the setting's default.
 */
export function platformSettingsOf(values: SettingValues): PlatformSettingsInput {
  return {
    publicBaseUrl: values.PUBLIC_BASE_URL,
    signedUrlTtlSeconds: values.SIGNED_URL_TTL_SECONDS,
    leaseSeconds: values.LEASE_SECONDS,
    maxAttempts: values.MAX_ATTEMPTS,
    queueTimeoutSeconds: values.QUEUE_TIMEOUT_SECONDS,
    dispatchGraceSeconds: values.DISPATCH_GRACE_SECONDS,
    apiKeyCacheTtlMs: values.API_KEY_CACHE_TTL_MS,
    adminToken: values.ADMIN_TOKEN,
    adminAuthFailureLimit: values.ADMIN_AUTH_FAILURE_LIMIT,
    keyRotationGraceSeconds: values.KEY_ROTATION_GRACE_SECONDS,
    webhooks: {
      allowPrivateNetworks: values.ALLOW_PRIVATE_WEBHOOK_TARGETS,
      claimSeconds: values.WEBHOOK_CLAIM_SECONDS,
      retryScheduleSeconds: values.WEBHOOK_RETRY_SCHEDULE,
    },
    urlInputs: { allowPrivateNetworks: values.ALLOW_PRIVATE_URL_INPUTS },
    people: {
      signup: values.SIGNUP,
      signupCredits: values.SIGNUP_CREDITS,
      sessionIdleSeconds: values.SESSION_IDLE_HOURS === undefined ? undefined : values.SESSION_IDLE_HOURS * 3600,
      sessionMaxSeconds: values.SESSION_MAX_DAYS === undefined ? undefined : values.SESSION_MAX_DAYS * 24 * 3600,
      signInFailureLimit: values.SIGN_IN_FAILURE_LIMIT,
      signInAddressFailureLimit: values.SIGN_IN_ADDRESS_FAILURE_LIMIT,
      allowInsecureCookies: values.ALLOW_INSECURE_SESSION_COOKIES,
    },
    promptUpsampler: {
      url: values.PROMPT_UPSAMPLER_URL,
      model: values.PROMPT_UPSAMPLER_MODEL,
      apiKey: values.PROMPT_UPSAMPLER_API_KEY,
      timeoutSeconds: values.PROMPT_UPSAMPLER_TIMEOUT_SECONDS,
      allowPrivateNetworks: values.ALLOW_PRIVATE_PROMPT_UPSAMPLER,
    },
  };
}
