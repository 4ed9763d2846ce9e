import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'jsdom',
    setupFiles: ['./test/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Grafana's packages ship ESM that imports CSS and untranspiled dependencies: let Vite handle them.
    server: { deps: { inline: [/@grafana\//] } },
  },
});
