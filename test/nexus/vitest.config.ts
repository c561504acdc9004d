import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * `npm run test:nexus`: another team's workflow, in a namespace of its own, runs jobs through our
 * Nexus endpoint on a dev server of its own, with our worker as its own process (killed once).
 * Apart from `npm test` for its minute of jobs and two worker processes; CI runs it after.
 */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    pool: 'forks',
    include: ['test/nexus/**/*.e2e.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
