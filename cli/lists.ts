/** `gameday runs` and `gameday gamedays`: what ran lately, newest first, one line each. */
import { formatElapsed } from '../src/measure/format.js';
import { RUN_STATES } from '../src/run/lifecycle.js';
import { didYouMean } from '../src/suggest.js';
import { expectPositionals, intOption, str, type Command } from './command.js';
import { EXIT, UsageError } from './errors.js';
import { table } from './output.js';

const seconds = (value: number | null) => (value === null ? '-' : formatElapsed(value * 1_000));

/** `2026-12-07 10:15` in UTC: short enough for a table, unambiguous. */
const when = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;

export const runsCommand: Command = {
  name: 'runs',
  usage: '[--scenario name] [--state s1,s2] [--limit n]',
  summary: 'List runs, newest first: state, times to detect and recover, verdict.',
  help: `options:
  --scenario name   only this scenario's runs
  --state s1,s2     only runs in these states (${RUN_STATES.join(', ')})
  --limit n         at most n runs (default 20, at most 200)
times are UTC.`,
  options: {
    scenario: { type: 'string' },
    state: { type: 'string' },
    limit: { type: 'string', short: 'n' },
  },
  async run(ctx) {
    expectPositionals(ctx, []);
    const state = str(ctx.values, 'state');
    for (const s of state?.split(',').map((x) => x.trim()) ?? []) {
      if (!(RUN_STATES as readonly string[]).includes(s)) {
        throw new UsageError(
          `--state: unknown state '${s}'${didYouMean(s, RUN_STATES) || `; expected ${RUN_STATES.join(', ')}`}`,
        );
      }
    }
    const page = await ctx.api().call('listRuns', {
      query: {
        scenario: str(ctx.values, 'scenario'),
        state,
        limit: String(intOption(ctx.values, 'limit', 20, 200)),
      },
    });
    if (ctx.json) {
      ctx.out.json(page);
      return EXIT.ok;
    }
    if (page.items.length === 0) {
      ctx.out.line('no runs');
      return EXIT.ok;
    }
    const rows = [
      ['RUN', 'SCENARIO', 'NAMESPACE', 'STATE', 'DETECT', 'RECOVER', 'VERDICT', 'CREATED (UTC)'],
    ];
    for (const run of page.items) {
      rows.push([
        run.id,
        run.scenario,
        run.target.namespace,
        run.dryRun ? `${run.state} (dry run)` : run.state,
        seconds(run.timeToDetect),
        seconds(run.timeToRecover),
        (run.verdict ?? '-').toUpperCase(),
        when(run.createdAt),
      ]);
    }
    for (const line of table(rows)) ctx.out.line(line);
    if (page.nextCursor !== undefined) {
      ctx.out.line(`(older runs not shown: --limit ${Math.min(200, page.items.length * 2)})`);
    }
    return EXIT.ok;
  },
};

export const gameDaysCommand: Command = {
  name: 'gamedays',
  usage: '[--limit n]',
  summary: 'List GameDay runs, newest first: state, combined verdict, their runs.',
  help: 'gameday status <gameday id> shows one scenario by scenario; times are UTC.',
  options: { limit: { type: 'string', short: 'n' } },
  async run(ctx) {
    expectPositionals(ctx, []);
    const page = await ctx.api().call('listGameDays', {
      query: { limit: String(intOption(ctx.values, 'limit', 20, 200)) },
    });
    if (ctx.json) {
      ctx.out.json(page);
      return EXIT.ok;
    }
    if (page.items.length === 0) {
      ctx.out.line('no GameDays');
      return EXIT.ok;
    }
    const rows = [['GAMEDAY', 'NAME', 'STATE', 'VERDICT', 'SCENARIOS', 'CREATED (UTC)']];
    for (const g of page.items) {
      rows.push([
        g.id,
        g.name,
        g.dryRun ? `${g.state} (dry run)` : g.state,
        (g.verdict ?? '-').toUpperCase(),
        `${g.children.length}/${g.scenarios}`,
        when(g.createdAt),
      ]);
    }
    for (const line of table(rows)) ctx.out.line(line);
    return EXIT.ok;
  },
};
