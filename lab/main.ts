// `npm run lab`: the mesh lab as a standalone process, for rehearsals with kubectl.
// `npm run lab -- --observability` (or LAB_OBSERVABILITY=1) also runs a real Prometheus and
// Alertmanager that scrape the lab and evaluate the shipped alert rules.
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { startLab } from './index.js';
import { startObservability, type Observability } from './pipeline/observability.js';
import { leaveSignalsToCaller } from './services/cleanup.js';

const port = Number(process.env.LAB_PORT ?? 6443);
const host = process.env.LAB_HOST ?? '127.0.0.1';
const speed = Number(process.env.LAB_SPEED ?? 1);
const kubeconfigPath = resolve(process.env.LAB_KUBECONFIG ?? '.lab/kubeconfig');
const withObservability =
  process.argv.slice(2).includes('--observability') ||
  ['1', 'true', 'yes'].includes((process.env.LAB_OBSERVABILITY ?? '').toLowerCase());
const apiPort = process.env.GAMEDAY_API_PORT ?? '8080';
const webhookUrl =
  process.env.LAB_WEBHOOK_URL ?? `http://127.0.0.1:${apiPort}/api/v1/alertmanager/webhook`;
const webhookSecret = process.env.GAMEDAY_WEBHOOK_SECRET || undefined;

// Prometheus and Alertmanager are stopped below on SIGINT/SIGTERM, not killed by the cleanup.
leaveSignalsToCaller();

await mkdir(dirname(kubeconfigPath), { recursive: true });
const lab = await startLab({ host, port, speed, kubeconfigPath });
const lines = [
  `gameday mesh lab: Kubernetes API at ${lab.url}`,
  `kubeconfig written to ${kubeconfigPath}`,
  `try: kubectl --kubeconfig ${kubeconfigPath} get pods -A`,
];

let observability: Observability | undefined;
if (withObservability) {
  const sdUrl = lab.telemetry?.sdUrl;
  if (sdUrl === undefined) {
    console.error('The lab exports no telemetry: Prometheus starts with nothing to scrape.');
  }
  try {
    observability = await startObservability({ sdUrl, webhookUrl, webhookSecret });
  } catch (error) {
    await lab.stop();
    throw error;
  }
  const { prometheus, alertmanager } = observability;
  lines.push(
    `Prometheus at ${prometheus.url} (${prometheus.backend}), alerts: ${prometheus.url}/alerts`,
    `Alertmanager at ${alertmanager.url} (${alertmanager.backend}), sending to ${webhookUrl}`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);

let stopping = false;
const stop = (): void => {
  // A second Ctrl-C gives up waiting; the exit handler still kills what is left.
  if (stopping) process.exit(1);
  stopping = true;
  void Promise.allSettled([observability?.stop(), lab.stop()]).then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
