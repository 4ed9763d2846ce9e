import { defineConfig } from 'vitest/config';

// Packing and installing from the registry takes a while: one file, generous limits.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 600_000,
  },
});
