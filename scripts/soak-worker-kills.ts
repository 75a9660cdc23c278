// `npm run soak -- --kills 500 [--seed N] [--workers 2]`: the worker-kill trial of
// test/integration/run-worker-kills.test.ts for as long as you like. Worker processes run a
// stream of real runs against the lab while one is SIGKILLed at random lifecycle points and
// replaced; at the end every promise is checked (nothing lost, duplicated, injected twice or left
// behind) and the exit code says whether one was broken. Writes reports/soak-worker-kills.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startRunHarness } from '../test/support/run-harness.js';
import {
  findViolations,
  killHeldFault,
  runWorkerKills,
  standardTrial,
} from '../test/support/worker-kills.js';

const { values: args } = parseArgs({
  options: {
    kills: { type: 'string', default: '200' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    workers: { type: 'string', default: '2' },
    lease: { type: 'string', default: '3000' },
  },
});
const kills = Number(args.kills);
const seed = Number(args.seed);

const harness = await startRunHarness({ leaseMs: Number(args.lease) });
try {
  const { lanes, before } = await standardTrial(harness);
  const started = Date.now();
  const outcome = await runWorkerKills({
    stack: harness,
    lanes,
    kills,
    workers: Number(args.workers),
    seed,
    maxAimMs: 6_000,
    onProgress: (line) => process.stdout.write(`${line}\n`),
  });
  const violations = await findViolations(harness, outcome, before);
  const broken = Object.entries(violations).filter(([, list]) => list.length > 0);
  const summary = {
    seed,
    kills: outcome.kills.length,
    killsHoldingFault: outcome.kills.filter(killHeldFault).length,
    runs: outcome.records.length,
    minutes: Math.round((Date.now() - started) / 600) / 100,
    violations,
  };
  await mkdir('reports', { recursive: true });
  await writeFile('reports/soak-worker-kills.json', JSON.stringify(summary, null, 2));
  process.stdout.write(
    `${summary.kills} kills (${summary.killsHoldingFault} while a fault was in effect), ${summary.runs} runs, ${summary.minutes} min, seed ${seed}\n` +
      (broken.length === 0
        ? 'every run final, none lost or duplicated, none injected twice, every fault reverted\n'
        : broken.map(([name, list]) => `BROKEN ${name}: ${list.join('; ')}`).join('\n') + '\n'),
  );
  process.exitCode = broken.length === 0 ? 0 : 1;
} finally {
  await harness.stop();
}
