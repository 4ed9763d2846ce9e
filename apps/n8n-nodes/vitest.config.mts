import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    alias: {
      // n8n-core and the built node load n8n-workflow's CommonJS build; tests must see the same
      // classes (instanceof NodeOperationError), not the ESM twin.
      'n8n-workflow': require.resolve('n8n-workflow'),
    },
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // n8n's logger prints every node error it reports; the tests assert those errors themselves.
    env: { N8N_LOG_LEVEL: 'silent' },
  },
});
