import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * `npm run test:cluster`: the PostgreSQL-backed Temporal cluster (`npm run cluster`) under faults.
 * Separate from `npm test`: it builds temporal-server the first time (minutes; later runs reuse
 * .tools/), starts two server processes, PostgreSQL, workers, listener and simulator, and runs
 * jobs for about five minutes. CI runs it after the browser test.
 */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    pool: 'forks',
    include: ['test/cluster/**/*.e2e.ts'],
    testTimeout: 900_000,
    hookTimeout: 1_200_000,
  },
});
