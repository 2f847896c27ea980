import { PlatformSettingsSchema, platformSettingsOf } from '@kontext/services';
import { API_SERVER_SETTINGS, readSettings } from '@kontext/settings';
import { describe, expect, it } from 'vitest';

// The standalone API server (src/main.ts) reads API_SERVER_SETTINGS and hands platformSettingsOf
// of them to its services. It used to parse its own list, which lacked the private-target switch
// the other processes read, so a webhook endpoint on a private network could not be created
// there even where a test environment allowed it everywhere else.

const required = {
  DATABASE_URL: 'postgres://db.internal/kontext',
  STORAGE_DIR: '/srv/blobs',
  URL_SIGNING_SECRET: 's'.repeat(32),
  SECRET_KEYS_DIR: '/srv/keys',
  PUBLIC_BASE_URL: 'https://api.example/',
};

function serverSettings(env: Record<string, string>) {
  return PlatformSettingsSchema.parse(platformSettingsOf(readSettings(API_SERVER_SETTINGS, { ...required, ...env })));
}

describe('the standalone API server settings', () => {
  it('read ALLOW_PRIVATE_WEBHOOK_TARGETS, off unless set', () => {
    expect(API_SERVER_SETTINGS.settings.map((setting) => setting.name)).toContain('ALLOW_PRIVATE_WEBHOOK_TARGETS');
    expect(serverSettings({}).webhooks.allowPrivateNetworks).toBe(false);
    expect(serverSettings({ ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true' }).webhooks.allowPrivateNetworks).toBe(true);
  });

  it('pass on what it read before, with the same defaults', () => {
    const settings = serverSettings({ API_KEY_CACHE_TTL_MS: '1000', ADMIN_TOKEN: 'a'.repeat(24) });
    expect(settings).toMatchObject({ publicBaseUrl: 'https://api.example', apiKeyCacheTtlMs: 1000, adminToken: 'a'.repeat(24) });
    expect(serverSettings({})).toMatchObject({ signedUrlTtlSeconds: 600, maxAttempts: 3, urlInputs: { allowPrivateNetworks: false } });
    expect(serverSettings({}).adminToken).toBeUndefined();
  });

  it('refuse a bad switch, naming it', () => {
    expect(() => serverSettings({ ALLOW_PRIVATE_WEBHOOK_TARGETS: 'maybe' })).toThrow(/ALLOW_PRIVATE_WEBHOOK_TARGETS/);
  });
});
