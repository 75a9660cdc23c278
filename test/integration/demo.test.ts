import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startEntryProcess } from '../support/entry-process.js';
import { waitFor } from '../support/index.js';

// `npm run demo` in its quick form (one scenario): it must finish with the summary table and the
// reports, and leave no process and no lab object behind.

/** The direct children of a process (the services the demo starts), or none once it is gone. */
function childrenOf(pid: number): string[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** `/proc/<pid>/stat`: the process state and its start time (to tell a reused pid apart). */
function procStat(pid: string): { state: string; startTime: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, startTime: fields[19]! };
  } catch {
    return undefined;
  }
}

/** Still running: not gone, not a zombie waiting to be reaped, and not a new process on a reused pid. */
const running = (pid: string, startTime: string) => {
  const now = procStat(pid);
  return now !== undefined && now.state !== 'Z' && now.startTime === startTime;
};

describe('npm run demo', () => {
  it('runs a scenario against the lab, prints the summary and reports, and cleans up', async () => {
    const demo = startEntryProcess(
      'scripts/demo.ts',
      {
        HOME: process.env.HOME ?? '/tmp',
        ...(process.env.GAMEDAY_TEST_SERVICES && {
          GAMEDAY_TEST_SERVICES: process.env.GAMEDAY_TEST_SERVICES,
        }),
      },
      ['--scenarios', 'bad-deny-policy', '--port', '0'],
    );
    // Every process the demo started (Redis, Prometheus, Alertmanager), seen while it ran.
    const started = new Set<string>();
    const watch = setInterval(
      () => childrenOf(demo.child.pid!).forEach((pid) => started.add(pid)),
      200,
    );
    const exit = await demo.exited;
    clearInterval(watch);
    const output = demo.stdout.join('\n');
    expect(exit, `${output}\n${demo.stderr.join('\n')}`).toEqual({ code: 0, signal: null });
    expect(output).toMatch(/Scenario\s+Time to detect\s+Time to recover\s+Impact\s+Verdict/);
    expect(output).toMatch(/bad-deny-policy\s+\d+(\.\d)?s \(IstioHigh4xxErrorRate\)\s+\d+(\.\d)?s/);
    expect(output).toContain(
      'Every fault was reverted: no object of these runs is left in the lab.',
    );
    const report = /^\s+(reports\/demo-[^\s]+\/01-bad-deny-policy\.html)$/m.exec(output)?.[1];
    expect(report).toBeDefined();
    expect(readFileSync(report!, 'utf8')).toContain('<svg');
    expect(existsSync(report!.replace(/\.html$/, '.md'))).toBe(true);
    expect(started.size).toBeGreaterThanOrEqual(3);
    // Killed children are reaped by init a moment after the demo exits; a leak stays.
    const left = () =>
      [...started.entries()].filter(([pid, startTime]: [string, string]) =>
        running(pid, startTime),
      );
    await waitFor(() => left().length === 0, {
      description: () =>
        `the demo's processes to end (left: ${left()
          .map(([pid]) => pid)
          .join(', ')})`,
      timeoutMs: 10_000,
    }).catch(() => undefined);
    expect(left()).toEqual([]);
  }, 240_000);
});
