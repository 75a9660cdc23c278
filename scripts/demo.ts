// `npm run demo`: a full GameDay against the mesh lab, on a laptop, in a few minutes.
// Starts Redis, Prometheus, Alertmanager, the lab, the API (with the dashboard) and a worker with
// the same start logic as the tests, runs the catalogue's `mesh-failures` GameDay scenario by
// scenario (lab-scaled: durations ÷ 60), prints progress and a summary, writes the reports under
// ./reports/ and stops everything again (unless --keep).
//
//   npm run demo                          the whole GameDay
//   npm run demo -- --scenarios bad-deny-policy,istiod-oom
//   npm run demo -- --keep                keep the stack (and dashboard) running until Ctrl-C
//   npm run demo -- --port 8080           the API/dashboard port (default 8080, or a free one)
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { leaveSignalsToCaller } from '../lab/services/cleanup.js';
import { gameDayScenarios } from '../lab/demo.js';
import { labScenario } from '../lab/scenarios.js';
import { objectsMarkedBy, startLabStack, type LabStack } from '../lab/stack.js';
import { formatElapsed } from '../src/measure/format.js';
import { systemClock } from '../src/measure/types.js';
import { renderReport } from '../src/report/index.js';
import { isFinal } from '../src/run/lifecycle.js';
import { submitRun } from '../src/run/submit.js';
import type { RunRecord } from '../src/run/types.js';
import { mergeAlerts } from '../src/measure/detection.js';
import type { AlertObservation } from '../src/measure/types.js';
import type { Scenario } from '../src/scenario/schema.js';

const GAMEDAY = 'mesh-failures';
const { values: args } = parseArgs({
  options: {
    keep: { type: 'boolean', default: false },
    scenarios: { type: 'string' },
    port: { type: 'string', default: '8080' },
  },
});
const tty = process.stdout.isTTY === true;
const say = (line = '') => process.stdout.write(`${line}\n`);

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
      .once('error', () => resolve(false))
      .listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

function demoScenarios(): Promise<Scenario[]> {
  const wanted = args.scenarios ? args.scenarios.split(',').map((s) => s.trim()) : [];
  return gameDayScenarios('scenarios', GAMEDAY, wanted);
}

/** The lab-scaled scenario; in the demo nobody is on call, so responders mode runs as auto. */
function forDemo(scenario: Scenario, stack: LabStack): { scenario: Scenario; note?: string } {
  const scaled = labScenario(scenario, { gateway: stack.lab.gateway!, respondersAsAuto: true });
  return scenario.spec.recovery.mode === 'responders'
    ? { scenario: scaled, note: 'responders mode run as auto: nobody is on call in the demo' }
    : { scenario: scaled };
}

function progressLine(
  index: number,
  total: number,
  record: RunRecord,
  alerts: string,
  startedAt: number,
) {
  const elapsed = formatElapsed(Date.now() - startedAt);
  return `[${index}/${total}] ${record.scenario.metadata.name.padEnd(20)} ${record.state.padEnd(10)} ${elapsed.padStart(6)}  ${alerts}`;
}

/**
 * What the progress line says of alerts: while the run is under way, the ones firing now (by the
 * run's latest observations; a resolved one moves to "resolved"); once it has ended and stopped
 * watching, only which ones fired, never that they still fire.
 */
function alertsText(record: RunRecord, observations: AlertObservation[], since: number): string {
  const alerts = mergeAlerts(
    observations.filter((o) => o.observedAt >= since),
    0,
  ).filter((alert) => alert.firedAt !== undefined);
  const names = (list: typeof alerts) => [...new Set(list.map((a) => a.alertname || '?'))];
  if (isFinal(record.state)) {
    return alerts.length > 0 ? `alerts fired: ${names(alerts).join(', ')}` : 'no alert fired';
  }
  const firing = names(alerts.filter((a) => a.resolvedAt === undefined));
  const resolved = names(alerts.filter((a) => a.resolvedAt !== undefined)).filter(
    (name) => !firing.includes(name),
  );
  const parts = [
    ...(firing.length > 0 ? [`alerts firing: ${firing.join(', ')}`] : []),
    ...(resolved.length > 0 ? [`resolved: ${resolved.join(', ')}`] : []),
  ];
  return parts.length > 0 ? parts.join('; ') : 'no alert yet';
}

async function follow(
  stack: LabStack,
  runId: string,
  index: number,
  total: number,
): Promise<RunRecord> {
  const startedAt = Date.now();
  let lastPrinted = '';
  for (;;) {
    const record = await stack.store.mustGet(runId);
    const alerts = alertsText(record, await stack.store.observations(runId), startedAt);
    const line = progressLine(index, total, record, alerts, startedAt);
    if (tty) process.stdout.write(`\r\x1b[2K${line}`);
    else if (
      line.replace(/\s+\S+\s+(alerts|no alert|resolved).*$/, '') !==
      lastPrinted.replace(/\s+\S+\s+(alerts|no alert|resolved).*$/, '')
    )
      say(line);
    lastPrinted = line;
    if (isFinal(record.state)) {
      if (tty) say();
      return record;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function seconds(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : formatElapsed(value * 1000);
}

function summaryTable(records: RunRecord[]): string {
  const rows = [
    ['Scenario', 'Time to detect', 'Time to recover', 'Impact', 'Verdict', 'Run'],
    ...records.map((r) => {
      const d = r.result.detection;
      const rec = r.result.recovery;
      return [
        r.scenario.metadata.name,
        d?.status === 'detected'
          ? `${seconds(r.result.timeToDetect)} (${d.alert?.alertname})`
          : (d?.status ?? '—'),
        rec?.status === 'recovered' ? seconds(r.result.timeToRecover) : (rec?.status ?? '—'),
        rec?.impact === 'impact'
          ? `worst ${Math.round((rec.worstValue ?? 0) * 100)} % success`
          : (rec?.impact ?? '—'),
        r.state === 'completed' ? (r.result.verdict?.outcome ?? '—').toUpperCase() : r.state,
        r.id,
      ];
    }),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ');
  return [
    line(rows[0]!),
    widths.map((w) => '─'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
  ].join('\n');
}

async function writeReports(stack: LabStack, record: RunRecord, dir: string, index: number) {
  const input = {
    record,
    events: await stack.store.events(record.id),
    samples: await stack.store.samples(record.id),
    signalSamples: await stack.store.signalSamples(record.id),
  };
  const base = join(dir, `${String(index).padStart(2, '0')}-${record.scenario.metadata.name}`);
  for (const [format, extension] of [
    ['html', 'html'],
    ['md', 'md'],
    ['junit', 'xml'],
  ] as const) {
    await writeFile(`${base}.${extension}`, renderReport(input, format).body);
  }
  return `${base}.html`;
}

async function main(): Promise<number> {
  const scenarios = await demoScenarios();
  leaveSignalsToCaller();
  const wantedPort = Number(args.port);
  const port = (await portFree(wantedPort)) ? wantedPort : 0;
  say(
    'gameday demo: starting Redis, Prometheus, Alertmanager, the mesh lab, the API and a worker…',
  );
  const stack = await startLabStack({ apiPort: port, leaseMs: 5_000 });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await stack.stop();
  };
  process.once('SIGINT', () => {
    say('\ngameday demo: interrupted; reverting and stopping everything…');
    // Abort every active run so its fault is reverted before the lab goes away.
    void (async () => {
      for (const id of await stack.store.activeRunIds()) {
        await stack.store.requestAbort(id, {
          by: 'demo',
          reason: 'demo interrupted (Ctrl-C)',
          at: Date.now(),
        });
      }
      await Promise.race([
        (async () => {
          while ((await stack.store.activeRunIds()).length > 0)
            await new Promise((r) => setTimeout(r, 250));
        })(),
        new Promise((r) => setTimeout(r, 20_000)),
      ]);
      await stop();
      process.exit(130);
    })();
  });

  const worker = await stack.startWorker('demo-worker');
  const dashboard = `${stack.apiUrl}/`;
  say(
    `  lab Kubernetes API ${stack.lab.url} · Prometheus ${stack.observability.prometheus.url} · Alertmanager ${stack.observability.alertmanager.url}`,
  );
  say(`  dashboard ${dashboard} (token: ${stack.tokens.admin[0]})`);
  say();
  say(
    `GameDay ${GAMEDAY}: ${scenarios.length} scenario${scenarios.length === 1 ? '' : 's'} against the lab (durations ÷ 60)`,
  );
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const reportDir = join('reports', `demo-${stamp}`);
  await mkdir(reportDir, { recursive: true });
  const records: RunRecord[] = [];
  const reports: string[] = [];
  for (const [i, original] of scenarios.entries()) {
    const { scenario, note } = forDemo(original, stack);
    say(
      `[${i + 1}/${scenarios.length}] ${scenario.metadata.name}: ${scenario.spec.fault.type} in ${scenario.spec.target.namespace}${note ? ` (${note})` : ''}; waiting for a clean baseline…`,
    );
    await stack.settle(scenario);
    const run = await submitRun(
      { store: stack.store, queue: worker.parts.queue, clock: systemClock },
      { scenario, allowMeshWide: true, createdBy: 'demo' },
    );
    const record = await follow(stack, run.id, i + 1, scenarios.length);
    say(`      ${record.summary ?? record.state}`);
    records.push(record);
    reports.push(await writeReports(stack, record, reportDir, i + 1));
  }
  const leftovers = records.flatMap((r) => objectsMarkedBy(stack.lab, r.id));

  say();
  say(summaryTable(records));
  say();
  say(`Reports (HTML, Markdown, JUnit): ${relative(process.cwd(), reportDir)}/`);
  for (const report of reports) say(`  ${report}`);
  say(
    leftovers.length === 0
      ? 'Every fault was reverted: no object of these runs is left in the lab.'
      : `LEFT IN THE LAB: ${leftovers.join(', ')}`,
  );
  if (args.keep) {
    say();
    say(`Dashboard: ${dashboard}  (paste the token ${stack.tokens.admin[0]})`);
    say('The CLI, from another terminal in this directory (the token has the admin role):');
    say(`  export GAMEDAY_API_URL=${stack.apiUrl} GAMEDAY_TOKEN=${stack.tokens.admin[0]}`);
    say('  npx gameday runs');
    say(`kubectl: export KUBECONFIG=${stack.env['KUBECONFIG']}`);
    say('Everything keeps running; Ctrl-C stops it.');
    return new Promise(() => undefined);
  }
  say(`Dashboard (while running, with --keep): ${dashboard}`);
  await stop();
  const allCompleted = records.every((r) => r.state === 'completed');
  return allCompleted && leftovers.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`gameday demo: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
