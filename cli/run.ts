import { existsSync } from 'node:fs';
import { formatElapsed } from '../src/measure/format.js';
import { isFinal } from '../src/run/lifecycle.js';
import type { RunRecord } from '../src/run/types.js';
import { loadScenarioFile } from '../src/scenario/loader.js';
import type { ApiClient } from './client.js';
import { flag, type Command, type CommandContext } from './command.js';
import { ApiError, EXIT, UsageError } from './errors.js';
import type { Output } from './output.js';
import { exitCodeOf, runSummaryLines, timeToDetectText } from './summary.js';

const POLL_INTERVAL_MS = 1_000;
/** Consecutive failed polls (API unreachable) tolerated while waiting. */
const MAX_POLL_FAILURES = 10;

/** A scenario argument that names a file rather than a catalogue scenario. */
export const looksLikeFile = (arg: string) => existsSync(arg) || /\.(ya?ml|json)$/i.test(arg);

/**
 * The `scenario` field of `POST /api/v1/runs`: the catalogue name, or the file's Scenario
 * document, validated locally first. Returns the exit code instead when the file is invalid.
 */
async function scenarioOf(
  arg: string,
  out: Output,
): Promise<string | Record<string, unknown> | number> {
  if (!looksLikeFile(arg)) return arg;
  if (!existsSync(arg)) throw new UsageError(`no such file: ${arg}`);
  const loaded = await loadScenarioFile(arg);
  if (loaded.errors.length > 0) {
    for (const error of loaded.errors) out.error(error.toString());
    out.error(`${arg}: invalid, not sent (${loaded.errors.length} problem(s))`);
    return EXIT.usage;
  }
  const scenarios = loaded.documents.filter((d) => d.kind === 'Scenario');
  if (loaded.documents.length !== 1 || scenarios.length !== 1) {
    out.error(
      `${arg}: expected exactly one Scenario document, found ` +
        `${loaded.documents.map((d) => `${d.kind}/${d.metadata.name}`).join(', ') || 'none'}`,
    );
    return EXIT.usage;
  }
  return scenarios[0] as unknown as Record<string, unknown>;
}

export const runCommand: Command = {
  name: 'run',
  usage: '<scenario|file> [--dry-run] [--wait] [--allow-mesh-wide] [--refuse-if-busy]',
  summary:
    'Start a run of a catalogue scenario, or of a Scenario file (validated here, sent inline).',
  help: `options:
  --dry-run          render the fault's writes, send none
  --wait             follow the run to its end, then print times, verdict and objectives
  --allow-mesh-wide  consent to faults that break the whole mesh
  --refuse-if-busy   fail at once when another run holds the target (default: wait for it)
  --json             print the run record (with --wait: the final one)

exit codes: 0 started (with --wait: completed with verdict pass, or a completed dry run);
  1 verdict fail or inconclusive, or the run ended failed/aborted/error;
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
    const scenario = await scenarioOf(arg, ctx.out);
    if (typeof scenario === 'number') return scenario;
    const api = ctx.api();
    const created = await api.json<RunRecord>('POST', '/api/v1/runs', {
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

/** Polls the run every second until it ends, showing its progress. */
export async function waitForEnd(
  api: ApiClient,
  created: RunRecord,
  ctx: Pick<CommandContext, 'out'>,
): Promise<RunRecord> {
  const started = Date.now();
  let record = created;
  let shown = '';
  let failures = 0;
  const onInterrupt = () => {
    ctx.out.endProgress();
    ctx.out.error(
      `stopped waiting; run ${created.id} goes on (gameday status ${created.id}, gameday abort ${created.id})`,
    );
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  try {
    for (;;) {
      const line = progressLine(record, Date.now() - started);
      // On a terminal the line is rewritten each poll; in a log, only changes are printed.
      const key = line.replace(/ · \d\S*$/, '');
      if (process.stderr.isTTY || key !== shown) ctx.out.progress(line);
      shown = key;
      if (isFinal(record.state)) break;
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
      try {
        record = await api.json<RunRecord>('GET', `/api/v1/runs/${encodeURIComponent(created.id)}`);
        failures = 0;
      } catch (err) {
        if (!(err instanceof ApiError) || err.status !== undefined) throw err;
        failures += 1;
        if (failures >= MAX_POLL_FAILURES) throw err;
      }
    }
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    ctx.out.endProgress();
  }
  return record;
}

function progressLine(record: RunRecord, elapsedMs: number): string {
  const parts = [`run ${record.id}`, record.state];
  if (record.result.detection?.status === 'detected') {
    parts.push(`detected in ${timeToDetectText(record)}`);
  }
  parts.push(formatElapsed(elapsedMs));
  return parts.join(' · ');
}
