import { defineConfig } from 'vitest/config';
import SummaryReporter from './test/support/summary-reporter.js';

// Unit tests exercise pure logic and run in parallel. Integration tests start real
// Redis/Prometheus/Alertmanager processes, so they get generous timeouts and run one
// file at a time to stay within a 2-core CI machine.
export default defineConfig({
  test: {
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
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
