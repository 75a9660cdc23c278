import { writeFile } from 'node:fs/promises';
import { formatElapsed } from '../src/measure/format.js';
import { isReportFormat, REPORT_FORMATS } from '../src/report/types.js';
import { loadScenarioFile } from '../src/scenario/loader.js';
import { didYouMean } from '../src/suggest.js';
import type { BucketStats } from '../src/trends/schema.js';
import { expectPositionals, flag, str, type Command } from './command.js';
import { EXIT, UsageError } from './errors.js';
import { childRuns, gameDaySummaryLines, isGameDayId } from './gameday.js';
import { table } from './output.js';
import { runSummaryLines } from './summary.js';

export const validateCommand: Command = {
  name: 'validate',
  usage: '<file...>',
  summary: 'Validate Scenario and GameDay files locally (no API needed).',
  help: 'exit codes: 0 every file is valid; 2 a file is invalid or unreadable',
  async run(ctx) {
    if (ctx.positionals.length === 0) throw new UsageError('missing <file...>');
    let invalid = 0;
    const results: unknown[] = [];
    for (const file of ctx.positionals) {
      let errors: { toString(): string; toJSON(): unknown }[];
      let documents: { kind: string; metadata: { name: string } }[] = [];
      try {
        const loaded = await loadScenarioFile(file);
        errors = loaded.errors;
        documents = loaded.documents;
      } catch (err) {
        const message = `${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
        errors = [{ toString: () => message, toJSON: () => ({ file, message }) }];
      }
      if (errors.length > 0) invalid += 1;
      results.push({
        file,
        valid: errors.length === 0,
        documents: documents.map((d) => ({ kind: d.kind, name: d.metadata.name })),
        errors: errors.map((e) => e.toJSON()),
      });
      if (ctx.json) continue;
      if (errors.length === 0) {
        const names = documents.map((d) => `${d.kind}/${d.metadata.name}`).join(', ');
        ctx.out.line(`ok ${file}: ${names || 'no documents'}`);
      } else {
        for (const error of errors) ctx.out.error(error.toString());
      }
    }
    if (ctx.json) ctx.out.json(results);
    else if (invalid > 0) ctx.out.error(`${invalid} of ${ctx.positionals.length} file(s) invalid`);
    return invalid > 0 ? EXIT.usage : EXIT.ok;
  },
};

const ID_HELP = `ids: a GameDay id is gd-<time>-<hex> (e.g. gd-20261122-100000-0a1b2c3d); its child runs
add -1, -2 … and are runs. Any other id is a run.`;

export const statusCommand: Command = {
  name: 'status',
  usage: '<run|gameday>',
  summary: 'Show a run (state, times, verdict, objectives) or a GameDay (one line per scenario).',
  help: ID_HELP,
  async run(ctx) {
    const [id] = expectPositionals(ctx, ['<run|gameday>']);
    if (isGameDayId(id!)) {
      const api = ctx.api();
      const gameDay = await api.call('getGameDay', { params: { id: id! } });
      if (ctx.json) ctx.out.json(gameDay);
      else {
        for (const line of gameDaySummaryLines(gameDay, await childRuns(api, gameDay))) {
          ctx.out.line(line);
        }
      }
      return EXIT.ok;
    }
    const record = await ctx.api().call('getRun', { params: { id: id! } });
    if (ctx.json) ctx.out.json(record);
    else for (const line of runSummaryLines(record)) ctx.out.line(line);
    return EXIT.ok;
  },
};

export const abortCommand: Command = {
  name: 'abort',
  usage: '<run> [--reason text]',
  summary: 'Abort a run; its fault is reverted at once.',
  options: { reason: { type: 'string' } },
  async run(ctx) {
    const [id] = expectPositionals(ctx, ['<run>']);
    if (isGameDayId(id!)) {
      throw new UsageError(
        `${id} is a GameDay: abort its current run (${id}-<n>, see gameday status ${id}), or engage the kill switch`,
      );
    }
    const reason = str(ctx.values, 'reason');
    const answer = await ctx
      .api()
      .call('abortRun', { params: { id: id! }, body: reason !== undefined ? { reason } : {} });
    if (ctx.json) ctx.out.json(answer);
    else ctx.out.line(`abort requested for run ${id}`);
    return EXIT.ok;
  },
};

export const reportCommand: Command = {
  name: 'report',
  usage: '<run|gameday> [--format md|html|junit|json] [--output file]',
  summary: 'Fetch a run report or a combined GameDay report (default md) to stdout or a file.',
  help: ID_HELP,
  options: { format: { type: 'string', short: 'f' }, output: { type: 'string', short: 'o' } },
  async run(ctx) {
    const [id] = expectPositionals(ctx, ['<run|gameday>']);
    const format = str(ctx.values, 'format') ?? (ctx.json ? 'json' : 'md');
    if (!isReportFormat(format)) {
      throw new UsageError(
        `--format must be one of ${REPORT_FORMATS.join(', ')}${didYouMean(format, REPORT_FORMATS)}`,
      );
    }
    const input = { params: { id: id! }, query: { format } };
    const text = isGameDayId(id!)
      ? await ctx.api().text('getGameDayReport', input)
      : await ctx.api().text('getRunReport', input);
    const output = str(ctx.values, 'output');
    if (output !== undefined) {
      await writeFile(output, text);
      ctx.out.error(`wrote ${output}`);
    } else {
      ctx.out.raw(text.endsWith('\n') ? text : `${text}\n`);
    }
    return EXIT.ok;
  },
};

export const scheduleAddCommand: Command = {
  name: 'schedule add',
  usage:
    "<id> (--scenario name | --gameday name) --cron '0 10 * * 6' [--timezone Europe/Berlin] [--allow-mesh-wide] [--dry-run]",
  summary: 'Schedule a catalogue scenario or GameDay on a cron.',
  options: {
    scenario: { type: 'string' },
    gameday: { type: 'string' },
    cron: { type: 'string' },
    timezone: { type: 'string' },
    'allow-mesh-wide': { type: 'boolean' },
    'dry-run': { type: 'boolean' },
  },
  async run(ctx) {
    const [id] = expectPositionals(ctx, ['<id>']);
    const scenario = str(ctx.values, 'scenario');
    const gameday = str(ctx.values, 'gameday');
    const cron = str(ctx.values, 'cron');
    if ((scenario === undefined) === (gameday === undefined)) {
      throw new UsageError('give exactly one of --scenario or --gameday');
    }
    if (cron === undefined) throw new UsageError("missing --cron (e.g. --cron '0 10 * * 6')");
    const timezone = str(ctx.values, 'timezone');
    const info = await ctx.api().call('createSchedule', {
      body: {
        id: id!,
        ...(scenario !== undefined && { scenario }),
        ...(gameday !== undefined && { gameday }),
        schedule: timezone !== undefined ? { cron, timezone } : cron,
        allowMeshWide: flag(ctx.values, 'allow-mesh-wide'),
        dryRun: flag(ctx.values, 'dry-run'),
      },
    });
    if (ctx.json) ctx.out.json(info);
    else
      ctx.out.line(`scheduled ${info.id}: ${info.kind} ${info.name}; next ${info.next[0] ?? '-'}`);
    return EXIT.ok;
  },
};

export const scheduleListCommand: Command = {
  name: 'schedule list',
  usage: '',
  summary: 'List the schedules and their next fire times.',
  async run(ctx) {
    expectPositionals(ctx, []);
    const answer = await ctx.api().call('listSchedules', {});
    if (ctx.json) {
      ctx.out.json(answer);
      return EXIT.ok;
    }
    if (answer.items.length === 0) {
      ctx.out.line('no schedules');
      return EXIT.ok;
    }
    const rows = [['ID', 'TARGET', 'CRON', 'TIME ZONE', 'NEXT']];
    for (const s of answer.items) {
      const schedule = s.schedule as unknown as string | { cron: string; timezone?: string };
      const cron = typeof schedule === 'string' ? schedule : schedule.cron;
      const tz = typeof schedule === 'string' ? 'UTC' : (schedule.timezone ?? 'UTC');
      rows.push([
        s.id,
        `${s.kind} ${s.name}${s.dryRun ? ' (dry run)' : ''}`,
        cron,
        tz,
        s.next[0] ?? '-',
      ]);
    }
    for (const line of table(rows)) ctx.out.line(line);
    return EXIT.ok;
  },
};

export const scheduleRmCommand: Command = {
  name: 'schedule rm',
  usage: '<id>',
  summary: 'Remove a schedule.',
  async run(ctx) {
    const [id] = expectPositionals(ctx, ['<id>']);
    await ctx.api().call('deleteSchedule', { params: { id: id! } });
    if (ctx.json) ctx.out.json({ id, removed: true });
    else ctx.out.line(`removed schedule ${id}`);
    return EXIT.ok;
  },
};

const percent = (ratio: number | null) => (ratio === null ? '-' : `${Math.round(ratio * 100)}%`);
const p50 = (stats: BucketStats['mttd']) => (stats ? formatElapsed(stats.p50 * 1_000) : '-');

export const trendsCommand: Command = {
  name: 'trends',
  usage: '[--scenario a,b] [--bucket week|month] [--from time] [--to time]',
  summary: 'MTTD, MTTR and detection rate per scenario and week or month.',
  help: 'times: RFC 3339 (2026-11-22T10:00:00Z) or epoch milliseconds; default: the last 90 days',
  options: {
    scenario: { type: 'string' },
    bucket: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
  },
  async run(ctx) {
    expectPositionals(ctx, []);
    const bucket = str(ctx.values, 'bucket');
    if (bucket !== undefined && bucket !== 'week' && bucket !== 'month') {
      throw new UsageError('--bucket must be week or month');
    }
    const result = await ctx.api().call('getTrends', {
      query: {
        scenario: str(ctx.values, 'scenario'),
        bucket,
        from: str(ctx.values, 'from'),
        to: str(ctx.values, 'to'),
      },
    });
    if (ctx.json) {
      ctx.out.json(result);
      return EXIT.ok;
    }
    const range = `${new Date(result.from).toISOString()} – ${new Date(result.to).toISOString()}`;
    ctx.out.line(`Trends by ${result.bucket} (${result.timezone}), ${range}`);
    if (result.scenarios.length === 0) ctx.out.line('no runs in this range');
    for (const trend of result.scenarios) {
      ctx.out.line();
      ctx.out.line(
        `${trend.scenario}: ${trend.overall.count} completed run(s), detection rate ${percent(trend.overall.detectionRate)}, ` +
          `MTTD p50 ${p50(trend.overall.mttd)}, MTTR p50 ${p50(trend.overall.mttr)}`,
      );
      const rows = [['BUCKET', 'RUNS', 'DETECTION RATE', 'MTTD P50', 'MTTR P50']];
      for (const b of trend.buckets) {
        rows.push([b.bucket, String(b.count), percent(b.detectionRate), p50(b.mttd), p50(b.mttr)]);
      }
      for (const line of table(rows)) ctx.out.line(`  ${line}`);
    }
    if (result.coverage !== null) ctx.out.line(`\ndetection coverage: ${percent(result.coverage)}`);
    return EXIT.ok;
  },
};

export const haltCommand: Command = {
  name: 'halt',
  usage: '--reason text',
  summary: 'Engage the kill switch: every run reverts and ends, no run starts (admin).',
  options: { reason: { type: 'string' } },
  async run(ctx) {
    expectPositionals(ctx, []);
    const reason = str(ctx.values, 'reason');
    if (reason === undefined || reason.trim() === '') throw new UsageError('missing --reason');
    const answer = await ctx.api().call('engageHalt', { body: { reason } });
    if (ctx.json) ctx.out.json(answer);
    else {
      ctx.out.line(
        `halted: ${answer.activeRuns.length} active run(s) reverting` +
          (answer.activeRuns.length > 0 ? ` (${answer.activeRuns.join(', ')})` : ''),
      );
      ctx.out.line('no run starts until: gameday release');
    }
    return EXIT.ok;
  },
};

export const releaseCommand: Command = {
  name: 'release',
  usage: '',
  summary: 'Release the kill switch (admin).',
  async run(ctx) {
    expectPositionals(ctx, []);
    const answer = await ctx.api().call('releaseHalt', {});
    if (ctx.json) ctx.out.json(answer);
    else ctx.out.line('released: runs may start again');
    return EXIT.ok;
  },
};
