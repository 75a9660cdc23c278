import { defineConfig } from 'vitest/config';
import LongestFirstSequencer from './test/support/sequencer.js';
import SummaryReporter from './test/support/summary-reporter.js';

// Files run side by side: most integration files spend their time waiting on lab time, and each
// starts its own Redis, Prometheus, Alertmanager and lab on free ports in its own temp dirs, so
// six at once keep a 2-core machine busy without starving it (docs/development.md has the
// figures). The longest start first (test/file-durations.json); the programs tests start as
// processes are compiled once (test/support/global-setup.ts).
export default defineConfig({
  test: {
    maxWorkers: 6,
    sequence: { sequencer: LongestFirstSequencer },
    reporters: ['default', new SummaryReporter()],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
