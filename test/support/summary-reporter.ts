import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

/** Where every run writes each file's wall-clock time (git-ignored, like every report). */
export const TIMINGS_FILE = 'reports/test-artifacts/test-timings.json';

/**
 * Ends every run with one plain `N passed, N failed, N skipped` line, which CI systems
 * that do not know Vitest's own summary format can read, and the slowest files. Each file's
 * wall-clock time (from the moment a worker took it, imports and hooks included) goes to
 * {@link TIMINGS_FILE}, for docs/development.md and for finding what to speed up next.
 */
export default class SummaryReporter implements Reporter {
  readonly #queuedAt = new Map<string, number>();
  readonly #wallMs = new Map<string, number>();
  readonly #endedAt = new Map<string, number>();
  #startedAt = Date.now();

  onTestRunStart(): void {
    this.#startedAt = Date.now();
  }

  onTestModuleQueued(testModule: TestModule): void {
    this.#queuedAt.set(testModule.moduleId, Date.now());
  }

  onTestModuleEnd(testModule: TestModule): void {
    const queuedAt = this.#queuedAt.get(testModule.moduleId);
    if (queuedAt !== undefined) this.#wallMs.set(testModule.moduleId, Date.now() - queuedAt);
    this.#endedAt.set(testModule.moduleId, Date.now());
  }

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
    const files = [...this.#wallMs]
      .map(([id, ms]) => ({
        file: relative(process.cwd(), id),
        seconds: round(ms / 1000),
        /** When it started and ended, from the start of the run: where the time went. */
        from: round(((this.#queuedAt.get(id) ?? 0) - this.#startedAt) / 1000),
        to: round(((this.#endedAt.get(id) ?? 0) - this.#startedAt) / 1000),
      }))
      .sort((a, b) => b.seconds - a.seconds);
    const totalSeconds = (Date.now() - this.#startedAt) / 1000;
    if (files.length > 0) {
      mkdirSync(dirname(TIMINGS_FILE), { recursive: true });
      writeFileSync(
        TIMINGS_FILE,
        `${JSON.stringify({ totalSeconds: round(totalSeconds), files }, null, 2)}\n`,
      );
    }
    const slowest = files
      .slice(0, 5)
      .map((f) => `${f.file} ${f.seconds.toFixed(0)} s`)
      .join(', ');
    process.stdout.write(
      `\n${counts.passed} passed, ${failed} failed, ${counts.skipped} skipped` +
        ` in ${totalSeconds.toFixed(0)} s${slowest ? ` (slowest: ${slowest})` : ''}\n`,
    );
  }
}

const round = (seconds: number) => Math.round(seconds * 10) / 10;
