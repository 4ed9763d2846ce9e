import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // One Node-RED runtime per process: the test helper drives a single global registry.
    fileParallelism: false,
  },
});
