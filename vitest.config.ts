import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // The fault suite has its own config and command (`npm run test:faults`, vitest.faults.config.ts).
    exclude: [...configDefaults.exclude, 'tests/faults/**'],
    globalSetup: ['tests/global-setup.ts'],
    setupFiles: ['tests/helpers/setup-env.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
