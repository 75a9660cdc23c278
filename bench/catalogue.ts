/**
 * Item 14: the whole catalogue end to end in the lab. Runs `scripts/demo.ts` (what
 * `npm run demo` runs: the catalogue's mesh-failures GameDay, every scenario lab-scaled,
 * one after another with a clean baseline before each, against Redis, Prometheus,
 * Alertmanager, the lab, the API and a worker) as a process, and times it from start to exit;
 * the per-scenario lines of its summary table are kept. `--quick` runs one scenario.
 *
 *   npx tsx bench/catalogue.ts [--quick]
 */
import { performance } from 'node:perf_hooks';
import { startEntryProcess } from '../test/support/entry-process.js';
import {
  describeMachine,
  isQuick,
  machine,
  round,
  runBench,
  writeResult,
} from './support/common.js';

const quick = isQuick();
const TARGET_MS = 180_000;

runBench(async () => {
  const started = Date.now();
  const m = machine();
  console.log(describeMachine(m));
  const t = performance.now();
  const demo = startEntryProcess(
    'scripts/demo.ts',
    {
      HOME: process.env.HOME ?? '/tmp',
      ...(process.env.GAMEDAY_TEST_SERVICES && {
        GAMEDAY_TEST_SERVICES: process.env.GAMEDAY_TEST_SERVICES,
      }),
    },
    ['--port', '0', ...(quick ? ['--scenarios', 'bad-deny-policy'] : [])],
  );
  let printed = 0;
  const echo = setInterval(() => {
    for (const line of demo.stdout.slice(printed)) console.log(`  | ${line}`);
    printed = demo.stdout.length;
  }, 500);
  const exit = await demo.exited;
  const wallMs = performance.now() - t;
  clearInterval(echo);
  for (const line of demo.stdout.slice(printed)) console.log(`  | ${line}`);
  if (exit.code !== 0)
    throw new Error(
      `the demo exited ${exit.code ?? exit.signal}: ${demo.stderr.join('\n').slice(-2000)}`,
    );
  const header = demo.stdout.findIndex((line) => /^Scenario\s+Time to detect/.test(line));
  const rows = demo.stdout
    .slice(header + 2)
    .filter((line) => /^\S+\s+\S/.test(line) && !line.startsWith('Reports'));
  const table = rows.slice(
    0,
    rows.findIndex((line) => line.trim() === '') === -1 ? rows.length : undefined,
  );
  const scenarios = table.filter((line) => /\d{8}-\d{6}-[0-9a-f]{8}$/.test(line));
  const passed = scenarios.filter((line) => /\sPASS\s/.test(line)).length;
  console.log(
    `${scenarios.length} scenario(s), ${passed} PASS, wall time ${round(wallMs / 1000)} s`,
  );
  writeResult({
    name: 'catalogue',
    date: new Date().toISOString(),
    quick,
    machine: m,
    durationMs: Date.now() - started,
    figures: [
      {
        item: '14',
        what: `${quick ? 'one scenario (quick)' : 'whole catalogue GameDay (mesh-failures)'}: ${scenarios.length} scenario(s), ${passed} PASS, end to end in the lab`,
        target: '≤ 3 min',
        measured: `${round(wallMs / 1000)} s`,
        met: wallMs <= TARGET_MS && passed === scenarios.length,
      },
    ],
    details: { wallMs, scenarios, exit },
  });
});
