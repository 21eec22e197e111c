import { defineConfig } from 'vitest/config';
import { SlowFirstSequencer } from './test/helpers/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two test files at a time: vitest's default on 2 cores is cores - 1 = 1 file at a time, the second core left to child
    // processes. 19 files (dissect, flows, clocks, compare), paired: 122 -> 82 s and 91 -> 48 s wall, the same ~90 s CPU (load 5 -> 2.5).
    // VITEST_MAX_WORKERS=1 (or --maxWorkers=1) runs one at a time again.
    maxWorkers: 2,
    reporters: ['default'],
    // The longest files start first (test/helpers/sequencer.ts says why and which).
    sequence: { sequencer: SlowFirstSequencer },
  },
});
