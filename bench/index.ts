/**
 * `npm run bench`: every benchmark of bench/, one after another, each in its own process, then
 * a summary table of the figures they wrote to reports/bench/<name>.json.
 *
 *   npm run bench                          everything, full size (≈ 10 min)
 *   npm run bench -- --quick               small counts, to check the benches work (≈ 3 min)
 *   npm run bench -- --only inject-latency,trends
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  RESULTS_DIR,
  describeMachine,
  machine,
  round,
  type BenchResult,
} from './support/common.js';

interface Bench {
  name: string;
  item: string;
  file: string;
  /** Arguments of the full run; --quick is passed through instead when asked. */
  full?: string[];
}

const BENCHES: Bench[] = [
  { name: 'detection-timestamps', item: '8', file: 'bench/detection-timestamps.ts' },
  { name: 'http-prober', item: '9', file: 'bench/http-prober.ts' },
  { name: 'inject-latency', item: '10', file: 'bench/inject-latency.ts' },
  { name: 'revert-after-kill', item: '11', file: 'bench/revert-after-kill.ts' },
  { name: 'concurrent-runs', item: '12', file: 'bench/concurrent-runs.ts' },
  { name: 'trends', item: '13', file: 'bench/trends.ts', full: ['--runs', '100000'] },
  { name: 'report-reads', item: '13', file: 'bench/report-reads.ts' },
  { name: 'catalogue', item: '14', file: 'bench/catalogue.ts' },
];

const { values: args } = parseArgs({
  options: { only: { type: 'string' }, quick: { type: 'boolean', default: false } },
});
const only = args.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((name) => !BENCHES.some((b) => b.name === name)) ?? [];
if (unknown.length > 0) {
  console.error(
    `unknown bench ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`,
  );
  process.exit(2);
}
const selected = BENCHES.filter((b) => !only || only.includes(b.name));

console.log(describeMachine(machine()));
const outcomes: Array<{
  bench: Bench;
  code: number | null;
  seconds: number;
  result?: BenchResult;
}> = [];
for (const bench of selected) {
  const resultFile = join(RESULTS_DIR, `${bench.name}.json`);
  rmSync(resultFile, { force: true });
  const benchArgs = args.quick ? ['--quick'] : (bench.full ?? []);
  console.log(`\n=== ${bench.name} (item ${bench.item}) ${benchArgs.join(' ')}`);
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', bench.file, ...benchArgs], {
    stdio: 'inherit',
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  const result = existsSync(resultFile)
    ? (JSON.parse(readFileSync(resultFile, 'utf8')) as BenchResult)
    : undefined;
  outcomes.push({ bench, code, seconds: (Date.now() - started) / 1000, result });
}

const rows = [
  ['item', 'what', 'target', 'measured', 'met'],
  ...outcomes.flatMap(({ bench, code, result }) =>
    result
      ? result.figures.map((f) => [
          f.item,
          f.what,
          f.target,
          f.measured,
          f.met === undefined ? '—' : f.met ? 'yes' : 'NO',
        ])
      : [[bench.item, bench.name, '', `FAILED (exit ${code})`, 'NO']],
  ),
];
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
const line = (row: string[]) => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ');
console.log(`\n${line(rows[0]!)}\n${widths.map((w) => '─'.repeat(w)).join('  ')}`);
for (const row of rows.slice(1)) console.log(line(row));
console.log(
  `\n${outcomes.map((o) => `${o.bench.name} ${round(o.seconds)} s`).join(', ')}; total ${round(
    outcomes.reduce((n, o) => n + o.seconds, 0),
  )} s. Results: ${RESULTS_DIR}/<name>.json`,
);
process.exit(outcomes.every((o) => o.code === 0) ? 0 : 1);
