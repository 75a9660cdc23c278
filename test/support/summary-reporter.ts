import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends every run with one plain `N passed, N failed, N skipped` line, which CI systems
 * that do not know Vitest's own summary format can read.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<unknown>,
  ): void {
    const counts = { passed: 0, failed: 0, skipped: 0, pending: 0 };
    for (const module of testModules) {
      for (const test of module.children.allTests()) counts[test.result().state] += 1;
      // A file that failed to load or whose hooks failed has no failed test to count.
      if (module.state() === 'failed' && module.children.size === 0) counts.failed += 1;
    }
    const failed = counts.failed + unhandledErrors.length;
    process.stdout.write(
      `\n${counts.passed} passed, ${failed} failed, ${counts.skipped} skipped\n`,
    );
  }
}
