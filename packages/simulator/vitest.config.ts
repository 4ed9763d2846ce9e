import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A host zone far from UTC+8, with daylight saving: the simulator must never read it.
    env: { TZ: 'America/Los_Angeles' },
  },
});
