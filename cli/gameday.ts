/**
 * GameDays on the command line: start one (`run` with a GameDay file or catalogue name), follow
 * it, and show its per-scenario table. A GameDay id is `gd-<UTC time>-<8 hex>`; its child runs
 * add `-1`, `-2`… — so `status` and `report` tell the two apart by the id alone.
 */
import { formatElapsed } from '../src/measure/format.js';
import { isFinal } from '../src/run/lifecycle.js';
import type { GameDayRecord } from '../src/run/gameday.js';
import type { RunRecord } from '../src/run/types.js';
import type { ApiClient } from './client.js';
import type { CommandContext } from './command.js';
import { ApiError, EXIT } from './errors.js';
import { follow, type Progress } from './follow.js';
import { runProgress } from './progress.js';
import { table } from './output.js';
import { timeToDetectText, timeToRecoverText } from './summary.js';

/** `gd-20261122-100000-0a1b2c3d`: a GameDay (its children end in `-<n>`, and are runs). */
export const isGameDayId = (id: string) => /^gd-\d{8}-\d{6}-[0-9a-f]{8}$/.test(id);

/** The child runs' records, by id (a child whose record is gone is left out). */
export async function childRuns(
  api: ApiClient,
  record: GameDayRecord,
): Promise<Map<string, RunRecord>> {
  const out = new Map<string, RunRecord>();
  for (const id of record.children) {
    try {
      out.set(id, await api.call('getRun', { params: { id } }));
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 404) throw err;
    }
  }
  return out;
}

/** 0 only when every scenario ran and the combined verdict is pass (or a completed dry run). */
export function gameDayExitCode(record: GameDayRecord): number {
  if (record.state !== 'completed') return EXIT.failed;
  if (record.options.dryRun) {
    const runs = record.result?.runs ?? [];
    const all = runs.length === record.scenarios.length;
    return all && runs.every((r) => r.state === 'completed') ? EXIT.ok : EXIT.failed;
  }
  return record.result?.verdict === 'pass' ? EXIT.ok : EXIT.failed;
}

/** The GameDay's state, verdict and one table row per scenario. */
export function gameDaySummaryLines(
  record: GameDayRecord,
  children: ReadonlyMap<string, RunRecord>,
): string[] {
  const name = record.gameDay.metadata.name;
  const verdict =
    record.state === 'running'
      ? 'in progress'
      : `verdict ${(record.result?.verdict ?? 'inconclusive').toUpperCase()}`;
  const lines = [
    `GameDay ${record.id}: ${name}${record.options.dryRun ? ' (dry run)' : ''}: ${record.state}, ${verdict}`,
  ];
  if (record.stop) lines.push(`  stopped early: ${record.stop}`);
  const participants = record.gameDay.participants;
  if (participants.length > 0) {
    lines.push(`  participants: ${participants.map((p) => `${p.name} (${p.role})`).join(', ')}`);
  }
  const rows = [['#', 'SCENARIO', 'RUN', 'STATE', 'TIME TO DETECT', 'TIME TO RECOVER', 'VERDICT']];
  record.scenarios.forEach((scenario, i) => {
    const runId = record.children[i];
    const run = runId === undefined ? undefined : children.get(runId);
    const stored = record.result?.runs.find((r) => r.runId === runId);
    const state =
      run?.state ??
      stored?.state ??
      (runId !== undefined ? 'missing' : record.state === 'running' ? 'pending' : 'not run');
    const seconds = (value: number | null | undefined) =>
      typeof value === 'number' ? formatElapsed(value * 1000) : '-';
    rows.push([
      String(i + 1),
      scenario.metadata.name,
      runId ?? '-',
      state,
      run ? timeToDetectText(run) : seconds(stored?.timeToDetect),
      run ? timeToRecoverText(run) : seconds(stored?.timeToRecover),
      (run?.result.verdict?.outcome ?? stored?.verdict ?? '-').toUpperCase(),
    ]);
  });
  lines.push(...table(rows).map((line) => `  ${line}`));
  if (record.pauseBetweenMs > 0 && record.scenarios.length > 1) {
    lines.push(`  pause between scenarios: ${formatElapsed(record.pauseBetweenMs)}`);
  }
  return lines;
}

/** Polls the GameDay every second until it ends, showing the current scenario and its state. */
export function waitForGameDay(
  api: ApiClient,
  created: GameDayRecord,
  ctx: Pick<CommandContext, 'out'>,
): Promise<GameDayRecord> {
  return follow(ctx, {
    initial: created,
    fetch: () => api.call('getGameDay', { params: { id: created.id } }),
    progress: async (record, elapsedMs, tolerant) => {
      const lastId = record.children.at(-1);
      const current =
        record.state === 'running' && lastId !== undefined
          ? await tolerant(() => api.call('getRun', { params: { id: lastId } }))
          : undefined;
      return progressLine(record, current, elapsedMs);
    },
    done: (record) => record.state !== 'running',
    interrupted: `stopped waiting; GameDay ${created.id} goes on (gameday status ${created.id}, gameday report ${created.id})`,
  });
}

function progressLine(
  record: GameDayRecord,
  current: RunRecord | undefined,
  elapsedMs: number,
): Progress {
  const total = record.scenarios.length;
  const parts = [`gameday ${record.id}`];
  let key: string;
  if (record.state !== 'running') {
    parts.push(record.state);
    key = record.state;
  } else {
    const index = record.children.length;
    const running = current !== undefined && !isFinal(current.state);
    if (index === 0 || (!running && index < total)) {
      const next = record.scenarios[index]?.metadata.name ?? '';
      const step = index === 0 ? 'starting' : 'pause';
      parts.push(`scenario ${index + 1}/${total} ${next}`, step);
      key = `${index}|${step}`;
    } else {
      const run = current ? runProgress(current) : { text: 'starting', key: 'starting' };
      parts.push(
        `scenario ${index}/${total} ${record.scenarios[index - 1]?.metadata.name ?? ''}`,
        run.text,
      );
      key = `${index}|${run.key}`;
    }
  }
  parts.push(formatElapsed(elapsedMs));
  return { text: parts.join(' · '), key };
}
