import { existsSync } from 'node:fs';
import { formatElapsed } from '../src/measure/format.js';
import { isFinal } from '../src/run/lifecycle.js';
import type { RunRecord } from '../src/run/types.js';
import { loadScenarioFile } from '../src/scenario/loader.js';
import type { ApiClient } from './client.js';
import { flag, type Command, type CommandContext } from './command.js';
import { catalogueEntry } from './catalogue.js';
import { EXIT, UsageError } from './errors.js';
import { follow } from './follow.js';
import { childRuns, gameDayExitCode, gameDaySummaryLines, waitForGameDay } from './gameday.js';
import { runProgress } from './progress.js';
import { exitCodeOf, runSummaryLines } from './summary.js';

/** A scenario argument that names a file rather than a catalogue scenario. */
export const looksLikeFile = (arg: string) => existsSync(arg) || /\.(ya?ml|json)$/i.test(arg);

type Target = { kind: 'Scenario' | 'GameDay'; value: string | Record<string, unknown> };

/**
 * What `run` starts: a Scenario (`POST /api/v1/runs`) or a GameDay (`POST /api/v1/gamedays`),
 * named in the catalogue or read from a file (validated locally first, then sent inline).
 * Returns the exit code instead when the file is invalid.
 */
async function targetOf(arg: string, ctx: CommandContext): Promise<Target | number> {
  const out = ctx.out;
  if (!looksLikeFile(arg)) {
    // The catalogue holds both kinds under one namespace of names: ask which this one is (a
    // name it does not have is refused here, with the nearest names, before anything is sent).
    const found = await catalogueEntry(ctx.api(), arg);
    return { kind: found.kind, value: arg };
  }
  if (!existsSync(arg)) throw new UsageError(`no such file: ${arg}`);
  const loaded = await loadScenarioFile(arg);
  if (loaded.errors.length > 0) {
    for (const error of loaded.errors) out.error(error.toString());
    out.error(`${arg}: invalid, not sent (${loaded.errors.length} problem(s))`);
    return EXIT.usage;
  }
  const [document] = loaded.documents;
  if (loaded.documents.length !== 1 || document === undefined) {
    out.error(
      `${arg}: expected exactly one Scenario or GameDay document, found ` +
        `${loaded.documents.map((d) => `${d.kind}/${d.metadata.name}`).join(', ') || 'none'}`,
    );
    return EXIT.usage;
  }
  return { kind: document.kind, value: document as unknown as Record<string, unknown> };
}

export const runCommand: Command = {
  name: 'run',
  usage: '<scenario|gameday|file> [--dry-run] [--wait] [--allow-mesh-wide] [--refuse-if-busy]',
  summary:
    'Start a catalogue scenario or GameDay, or a Scenario or GameDay file (validated here, sent inline).',
  help: `A GameDay (kind: GameDay, in a file or the catalogue) runs its scenarios in order as child
runs of one GameDay record (id gd-<time>-<hex>; its runs are gd-<time>-<hex>-1, -2 …).

options:
  --dry-run          render the fault's writes, send none
  --wait             follow the run to its end, then print times, verdict and objectives;
                     for a GameDay: the current scenario and its state, then one line per scenario
  --allow-mesh-wide  consent to faults that break the whole mesh
  --refuse-if-busy   fail at once when another run holds the target (default: wait for it;
                     single scenarios only)
  --json             print the run (or GameDay) record (with --wait: the final one)

exit codes: 0 started (with --wait: completed with verdict pass, or a completed dry run;
  for a GameDay: every scenario ran and the combined verdict is pass);
  1 verdict fail or inconclusive, or the run (GameDay) ended failed/aborted/error;
  2 bad arguments or an invalid scenario file; 3 the API refused or was unreachable`,
  options: {
    'dry-run': { type: 'boolean' },
    wait: { type: 'boolean', short: 'w' },
    'allow-mesh-wide': { type: 'boolean' },
    'refuse-if-busy': { type: 'boolean' },
  },
  async run(ctx) {
    const [arg] = ctx.positionals;
    if (arg === undefined) throw new UsageError('missing <scenario|file>');
    if (ctx.positionals.length > 1)
      throw new UsageError(`unexpected argument ${ctx.positionals[1]}`);
    const target = await targetOf(arg, ctx);
    if (typeof target === 'number') return target;
    if (target.kind === 'GameDay') return runGameDay(ctx, target.value);
    const scenario = target.value;
    const api = ctx.api();
    const created = await api.call('createRun', {
      body: {
        scenario,
        dryRun: flag(ctx.values, 'dry-run'),
        allowMeshWide: flag(ctx.values, 'allow-mesh-wide'),
        onTargetBusy: flag(ctx.values, 'refuse-if-busy') ? 'refuse' : 'wait',
      },
    });
    if (!flag(ctx.values, 'wait')) {
      if (ctx.json) ctx.out.json(created);
      else {
        ctx.out.line(created.id);
        ctx.out.error(
          `queued ${created.scenario.metadata.name}${created.options.dryRun ? ' (dry run)' : ''}; ` +
            `follow it with: gameday status ${created.id}`,
        );
      }
      return EXIT.ok;
    }
    const final = await waitForEnd(api, created, ctx);
    if (ctx.json) ctx.out.json(final);
    else for (const line of runSummaryLines(final)) ctx.out.line(line);
    return exitCodeOf(final);
  },
};

/** Starts a GameDay and, with --wait, follows it to its end. */
async function runGameDay(
  ctx: CommandContext,
  gameday: string | Record<string, unknown>,
): Promise<number> {
  if (flag(ctx.values, 'refuse-if-busy')) {
    throw new UsageError('--refuse-if-busy applies to single scenarios, not to a GameDay');
  }
  const api = ctx.api();
  const created = await api.call('createGameDay', {
    body: {
      gameday,
      dryRun: flag(ctx.values, 'dry-run'),
      allowMeshWide: flag(ctx.values, 'allow-mesh-wide'),
    },
  });
  if (!flag(ctx.values, 'wait')) {
    if (ctx.json) ctx.out.json(created);
    else {
      ctx.out.line(created.id);
      ctx.out.error(
        `queued GameDay ${created.gameDay.metadata.name} (${created.scenarios.length} scenario(s))` +
          `${created.options.dryRun ? ' (dry run)' : ''}; follow it with: gameday status ${created.id}`,
      );
    }
    return EXIT.ok;
  }
  const final = await waitForGameDay(api, created, ctx);
  if (ctx.json) ctx.out.json(final);
  else {
    for (const line of gameDaySummaryLines(final, await childRuns(api, final))) ctx.out.line(line);
    ctx.out.line(`report: gameday report ${final.id} --format md|html|junit|json`);
  }
  return gameDayExitCode(final);
}

/** Polls the run every second until it ends, showing its progress. */
export function waitForEnd(
  api: ApiClient,
  created: RunRecord,
  ctx: Pick<CommandContext, 'out'>,
): Promise<RunRecord> {
  return follow(ctx, {
    initial: created,
    fetch: () => api.call('getRun', { params: { id: created.id } }),
    progress: (record, elapsedMs) => {
      const { text, key } = runProgress(record);
      return { text: `run ${record.id} · ${text} · ${formatElapsed(elapsedMs)}`, key };
    },
    done: (record) => isFinal(record.state),
    interrupted: `stopped waiting; run ${created.id} goes on (gameday status ${created.id}, gameday abort ${created.id})`,
  });
}
