import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * `npm run test:browser`: the Web UI in headless Chromium. Separate from `npm test` (it starts its
 * own dev server with the UI and a browser, and runs a job for about a minute); CI runs both.
 */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    pool: 'forks',
    include: ['test/browser/**/*.e2e.ts'],
    testTimeout: 240_000,
    hookTimeout: 180_000,
  },
});
