import { defineConfig } from 'vitest/config';

// The time and chunk tests run once per host time zone: core must never read the host's zone.
const TIME_ZONES = ['UTC', 'Asia/Shanghai', 'America/Los_Angeles', 'Pacific/Kiritimati'];

export default defineConfig({
  test: {
    projects: [
      ...TIME_ZONES.map((tz) => ({
        test: {
          name: `time ${tz}`,
          include: ['test/time/**/*.test.ts'],
          env: { TZ: tz },
        },
      })),
      {
        test: {
          name: 'core',
          include: ['test/*.test.ts'],
          testTimeout: 20_000,
          typecheck: { enabled: true, include: ['test/*.test-d.ts'], tsconfig: './tsconfig.json' },
        },
      },
    ],
  },
});
