// `npm run lab`: the mesh lab as a standalone process, for rehearsals with kubectl.
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { startLab } from './index.js';

const port = Number(process.env.LAB_PORT ?? 6443);
const host = process.env.LAB_HOST ?? '127.0.0.1';
const speed = Number(process.env.LAB_SPEED ?? 1);
const kubeconfigPath = resolve(process.env.LAB_KUBECONFIG ?? '.lab/kubeconfig');

await mkdir(dirname(kubeconfigPath), { recursive: true });
const lab = await startLab({ host, port, speed, kubeconfigPath });
process.stdout.write(
  [
    `gameday mesh lab: Kubernetes API at ${lab.url}`,
    `kubeconfig written to ${kubeconfigPath}`,
    `try: kubectl --kubeconfig ${kubeconfigPath} get pods -A`,
    '',
  ].join('\n'),
);

const stop = () => {
  void lab.stop().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
