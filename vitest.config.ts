import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'functions/*/test/**/*.test.ts',
      'gpu-worker/test/**/*.test.ts',
      'infra/test/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    // One embedded Postgres for the whole run; each test file clones its own database from a migrated template.
    globalSetup: ['test/harness/global-setup.ts'],
    pool: 'forks',
    env: {
      // The AWS SDK only ever talks to the protocol servers the harness starts: no instance
      // metadata lookups, and no Node-version notice in every test's output.
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
  },
});
