import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * End-to-end tests against running services (COORDINATOR_URL, default http://localhost:8070).
 * The crash test starts and kills its own coordinator processes.
 */
export default defineConfig({
  resolve: { alias: { '@nexus/core': here('../packages/core/src/index.ts') } },
  test: {
    root: here('.'),
    include: ['**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
