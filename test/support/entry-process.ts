import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { trackChild } from './cleanup.js';
import { waitFor } from './wait-for.js';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** An `api/` or `worker/` entry point running as its own process, as in production. */
export interface EntryProcess {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  /** When each stderr line arrived (ms since the epoch), for tests of how often it speaks. */
  stderrAt: number[];
  exited: Promise<ExitStatus>;
  /** Resolves with the first stdout line matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends SIGKILL if still running; for teardown. */
  kill(): Promise<void>;
}

/**
 * The test run's compiled sources (test/support/global-setup.ts), when running under Vitest with
 * it; the soak script and a lone `npx tsx` run the TypeScript through tsx instead.
 */
const entryBuild: string | undefined = process.env['VITEST']
  ? (await import('vitest')).inject('entryBuild')
  : undefined;

/** How to start `entry` (a .ts path from the repository root): compiled if built, else tsx. */
function nodeArgs(entry: string): string[] {
  if (entryBuild === undefined) return ['--import', 'tsx', entry];
  return ['--enable-source-maps', join(entryBuild, entry.replace(/\.ts$/, '.js'))];
}

/**
 * Starts `entry` with exactly `env` (plus PATH), from the repo root: `node <compiled entry>`
 * in the test suite, as the image runs it, or `node --import tsx <entry>`.
 */
export function startEntryProcess(
  entry: string,
  env: Record<string, string>,
  args: string[] = [],
): EntryProcess {
  const child = spawn(process.execPath, [...nodeArgs(entry), ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const untrack = trackChild(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const stderrAt: number[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => stdout.push(line));
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr.push(line);
    stderrAt.push(Date.now());
  });
  const exited = once(child, 'exit').then(([code, signal]) => {
    untrack();
    return { code, signal } as ExitStatus;
  });

  return {
    child,
    stdout,
    stderr,
    stderrAt,
    exited,
    waitForLine: (pattern, timeoutMs = 20_000) =>
      waitFor(() => stdout.find((line) => pattern.test(line)), {
        description: `a line matching ${pattern} from ${entry} (stderr: ${stderr.join(' | ').slice(-500)})`,
        timeoutMs,
      }),
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
