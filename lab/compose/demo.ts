// The `demo` service of docker-compose.yml (`node dist/lab/compose/demo.js`): the compose
// counterpart of `npm run demo`. It waits for the API and the lab, then runs the catalogue's
// `mesh-failures` GameDay scenario by scenario through the API, with the CLI's client and
// progress (`gameday run --wait`), and prints a summary table. Each scenario is made to run in
// the lab within seconds (labScenario: durations ÷ 60, probes sent to the lab's gateway,
// responders mode run as auto) and sent inline; between scenarios it waits for a clean baseline
// in Prometheus (no alert pending or firing, traffic success back at 100 %).
//
// Environment: GAMEDAY_API_URL (http://api:8080), GAMEDAY_TOKEN (an operator token),
// PROMETHEUS_URL (http://prometheus:9090), LAB_SHARED_DIR (where the lab wrote lab.json),
// DEMO_GAMEDAY (mesh-failures), DEMO_SCENARIOS (a comma-separated subset), GAMEDAY_SCENARIOS_DIR.
// Exit code 0 when every run completed, 1 otherwise.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ApiClient, clientConfigFromEnv } from '../../cli/client.js';
import { processOutput, table } from '../../cli/output.js';
import { waitForEnd } from '../../cli/run.js';
import { runSummaryLines, timeToDetectText, timeToRecoverText } from '../../cli/summary.js';
import type { RunRecord } from '../../src/run/types.js';
import { PrometheusClient } from '../../src/signals/prometheus.js';
import { gameDayScenarios, waitForCleanBaseline } from '../demo.js';
import { labScenario } from '../scenarios.js';
import { waitFor } from '../services/wait-for.js';
import type { ComposeLabInfo } from './shared.js';

const out = processOutput();
const env = process.env;
const gameDayName = env['DEMO_GAMEDAY'] || 'mesh-failures';
const sharedDir = resolve(env['LAB_SHARED_DIR'] || '/var/lib/gameday/lab');
const prometheusUrl = env['PROMETHEUS_URL'] || 'http://prometheus:9090';
const client = clientConfigFromEnv({ GAMEDAY_API_URL: 'http://api:8080', ...env });

/** Polls `check` until it returns a value; `describe` says what was awaited when it times out. */
async function main(): Promise<number> {
  const api = new ApiClient(client);
  out.line(`gameday demo: waiting for the API at ${client.baseUrl} and the lab…`);
  await waitFor(async () => (await fetch(`${client.baseUrl}/readyz`)).ok, {
    description: `${client.baseUrl}/readyz`,
    timeoutMs: 180_000,
    intervalMs: 1_000,
  });
  const info = await waitFor(
    async () => JSON.parse(await readFile(join(sharedDir, 'lab.json'), 'utf8')) as ComposeLabInfo,
    {
      description: `${join(sharedDir, 'lab.json')} (written by the lab service)`,
      timeoutMs: 180_000,
      intervalMs: 1_000,
    },
  );
  const scenarios = await gameDayScenarios(
    env['GAMEDAY_SCENARIOS_DIR'] || 'scenarios',
    gameDayName,
    (env['DEMO_SCENARIOS'] ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
  );
  const prometheus = new PrometheusClient({
    url: prometheusUrl,
    auth: undefined,
    caFile: undefined,
  });
  out.line(
    `GameDay ${gameDayName}: ${scenarios.length} scenario(s) against the mesh lab at ${info.apiUrl} (durations ÷ 60)`,
  );
  const records: RunRecord[] = [];
  for (const [i, original] of scenarios.entries()) {
    const scenario = labScenario(original, { gateway: info.gateway, respondersAsAuto: true });
    const step = `[${i + 1}/${scenarios.length}] ${scenario.metadata.name}`;
    out.line(
      `${step}: ${scenario.spec.fault.type} in ${scenario.spec.target.namespace}; waiting for a clean baseline…`,
    );
    await waitForCleanBaseline(prometheus, scenario, 300_000);
    const created = await api.call('createRun', {
      body: { scenario, allowMeshWide: true, onTargetBusy: 'wait' },
    });
    out.line(`${step}: run ${created.id} queued`);
    const record = await waitForEnd(api, created, { out });
    for (const line of runSummaryLines(record)) out.line(line);
    records.push(record);
  }
  prometheus.close();

  out.line();
  for (const line of table([
    ['SCENARIO', 'TIME TO DETECT', 'TIME TO RECOVER', 'VERDICT', 'RUN'],
    ...records.map((r) => [
      r.scenario.metadata.name,
      timeToDetectText(r),
      timeToRecoverText(r),
      r.state === 'completed' ? (r.result.verdict?.outcome ?? '-').toUpperCase() : r.state,
      r.id,
    ]),
  ]))
    out.line(line);
  out.line();
  out.line('Reports: the dashboard at http://127.0.0.1:8080/ (paste an API token), or');
  out.line('  docker compose run --rm demo gameday report <run>');
  return records.every((r) => r.state === 'completed') ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    out.error(`gameday demo: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
