import { defineConfig } from 'vitest/config';

/**
 * `npm run test:faults`: the fault suite (tests/faults). Kept out of `npm test` (it kills and pauses emulators and
 * restarts services, minutes of wall time). Every file starts its OWN emulators on free ports, so there is no
 * globalSetup; files run one at a time because each one is a whole pipeline (2 emulators, 3 services) on a
 * 2-core machine.
 */
export default defineConfig({
  test: {
    include: ['tests/faults/**/*.test.ts'],
    setupFiles: ['tests/faults/setup-faults.ts'],
    testTimeout: 240_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
