// The mesh lab as a docker-compose service (`node dist/lab/compose/lab.js`, see docker-compose.yml).
// Unlike `npm run lab` it serves other containers, so everything it hands out names the
// service's host name (LAB_ADVERTISE_HOST, default `lab`) rather than loopback:
//
//   - the Kubernetes API on 0.0.0.0:LAB_PORT (6443), and a kubeconfig for the worker in
//     LAB_SHARED_DIR pointing at https://lab:6443 (the serving certificate names `localhost`,
//     so the kubeconfig sets tls-server-name: localhost);
//   - the telemetry on a fixed port LAB_TELEMETRY_PORT (9464): `/sd` is the lab's HTTP service
//     discovery with every target rewritten to lab:9464, every other path is relayed to the
//     lab's own exporter (which listens on a random port);
//   - the lab variant of every rule file in LAB_RULES_SOURCE (deploy/rules), written to
//     LAB_RULES_DIR for the compose Prometheus: `for:` ÷ 60 and short windows, as in the demo;
//   - the ingress gateway's address and CA (lab.json, shop-ca.pem in LAB_SHARED_DIR), which the
//     demo puts into the lab-scaled scenarios and the worker's HTTP prober then uses.
//
// GET /healthz on the telemetry port answers 200 once all of it is written.
import { copyFile, mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startLab } from '../index.js';
import {
  advertisedKubeconfig,
  advertisedSd,
  composeLabSettings,
  writeAtomically,
  writeLabRules,
  type ComposeLabInfo,
} from './shared.js';

async function main(): Promise<void> {
  const settings = composeLabSettings();
  const lab = await startLab({
    host: '0.0.0.0',
    port: settings.port,
    speed: settings.speed,
    ...(settings.adminToken !== undefined && { adminToken: settings.adminToken }),
  });
  const telemetry = lab.telemetry;
  const gateway = lab.gateway;
  if (!telemetry || !gateway) throw new Error('the lab started without its mesh model');
  // The exporter and the gateway listen on 0.0.0.0 and random ports.
  const exporterUrl = telemetry.url.replace('//0.0.0.0:', '//127.0.0.1:');
  let advertised = '';

  let ready = false;
  const relay = createServer((req, res) => {
    void answer(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${error instanceof Error ? error.message : String(error)}\n`);
    });
  });
  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://relay').pathname;
    if (path === '/healthz') {
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(ready ? 'ok\n' : 'starting\n');
      return;
    }
    const upstream = await fetch(`${exporterUrl}${path}`, { signal: AbortSignal.timeout(10_000) });
    const body = await upstream.text();
    res.writeHead(upstream.status, {
      'content-type': upstream.headers.get('content-type') ?? 'text/plain; charset=utf-8',
    });
    res.end(path === '/sd' && upstream.ok ? advertisedSd(body, advertised) : body);
  };
  await new Promise<void>((done, fail) => {
    relay.once('error', fail);
    relay.listen(settings.telemetryPort, '0.0.0.0', () => done());
  });
  advertised = `${settings.advertiseHost}:${(relay.address() as AddressInfo).port}`;

  await mkdir(settings.sharedDir, { recursive: true });
  const apiUrl = `https://${settings.advertiseHost}:${new URL(lab.url).port}`;
  const kubeconfig = join(settings.sharedDir, 'kubeconfig');
  await writeAtomically(kubeconfig, advertisedKubeconfig(lab.kubeconfig(), apiUrl), 0o600);
  const caFile = join(settings.sharedDir, 'shop-ca.pem');
  await copyFile(gateway.caFile, caFile);
  const rules = await writeLabRules(settings.rulesSource, settings.rulesDir);
  const info: ComposeLabInfo = {
    apiUrl,
    kubeconfig,
    gateway: {
      httpsUrl: gateway.httpsUrl.replace('//0.0.0.0:', `//${settings.advertiseHost}:`),
      caFile,
    },
    sdUrl: `http://${advertised}/sd`,
  };
  await writeAtomically(join(settings.sharedDir, 'lab.json'), `${JSON.stringify(info, null, 2)}\n`);
  ready = true;
  process.stdout.write(
    [
      `gameday mesh lab (speed ×${settings.speed}): Kubernetes API at ${apiUrl}`,
      `kubeconfig: ${kubeconfig}; gateway: ${info.gateway.httpsUrl}`,
      `telemetry SD: ${info.sdUrl}; lab rules (${rules.join(', ')}) in ${settings.rulesDir}`,
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (): void => {
    if (stopping) process.exit(1);
    stopping = true;
    relay.closeAllConnections();
    relay.close();
    void lab.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

await main();
