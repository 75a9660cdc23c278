import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Measured wall-clock seconds per file (see docs/development.md), committed. */
export const DURATIONS_FILE = 'test/file-durations.json';
/** What a file not measured yet is assumed to take: it starts before the quick ones. */
const UNKNOWN_SECONDS = 20;

interface Durations {
  files: Array<{ file: string; seconds: number }>;
}

/**
 * Longest files first. Files run in parallel, so the suite takes about as long as its longest
 * file if that one starts early, and that much longer if it starts last. Vitest's own order
 * (its cache of the last run, else file size) puts a small file that waits on the lab for
 * minutes, like run-worker-kills.test.ts, last on a fresh clone. The durations come from
 * {@link DURATIONS_FILE}; refresh it after adding a slow file with
 * `cp reports/test-artifacts/test-timings.json test/file-durations.json`.
 */
export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const seconds = new Map<string, number>();
    if (existsSync(DURATIONS_FILE)) {
      const durations = JSON.parse(readFileSync(DURATIONS_FILE, 'utf8')) as Durations;
      for (const { file, seconds: s } of durations.files) seconds.set(file, s);
    }
    const estimate = (spec: TestSpecification) =>
      seconds.get(relative(root, spec.moduleId)) ?? UNKNOWN_SECONDS;
    return [...files].sort((a, b) => estimate(b) - estimate(a));
  }
}
