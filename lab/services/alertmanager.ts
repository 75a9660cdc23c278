import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { alertmanagerConfig } from '../pipeline/config.js';
import { chooseBackend } from './backend.js';
import { makeTempDir } from './cleanup.js';
import { HostAccess } from './host-access.js';
import { isHttpOk } from './http.js';
import { createRuntime, ManagedService, type ServiceHandle } from './managed-service.js';

export interface AlertmanagerOptions {
  /** Every alert goes to this webhook (send_resolved: true). Required unless configYaml is set. */
  webhookUrl?: string;
  /** Sent as `Authorization: Bearer <secret>` with every notification. */
  webhookSecret?: string;
  /** Default 1s. */
  groupWait?: string;
  /** Default 1s. */
  groupInterval?: string;
  /** Default 1h, so that a test sees one notification per alert state change. */
  repeatInterval?: string;
  /** A complete alertmanager.yml instead of the generated one (the options above are ignored). */
  configYaml?: string;
  startTimeoutMs?: number;
}

export interface AlertmanagerHandle extends ServiceHandle {
  /** http://HOST:PORT */
  readonly url: string;
}

const CONFIG_FILE = 'alertmanager.yml';

class AlertmanagerService extends ManagedService implements AlertmanagerHandle {
  get url(): string {
    return `http://${this.host}:${this.port}`;
  }
}

/** Starts a real Alertmanager (clustering disabled) routing everything to one webhook. */
export async function startAlertmanager(options: AlertmanagerOptions): Promise<AlertmanagerHandle> {
  const choice = await chooseBackend('alertmanager');
  const access = new HostAccess(choice.kind);
  const configYaml = access.rewrite(renderConfig(options));
  const dir = await makeTempDir('alertmanager');
  await writeFile(join(dir, CONFIG_FILE), configYaml);
  const runtime = createRuntime(choice, {
    name: 'alertmanager',
    dir,
    args: ({ listenHost, port, configDir, dataDir }) => [
      `--config.file=${configDir}/${CONFIG_FILE}`,
      `--storage.path=${dataDir}`,
      `--web.listen-address=${listenHost}:${port}`,
      // An empty address disables gossip, which would otherwise listen on :9094.
      '--cluster.listen-address=',
    ],
    configFiles: () => [CONFIG_FILE],
    isReady: (host, port) => isHttpOk(`http://${host}:${port}/-/ready`),
    startTimeoutMs: options.startTimeoutMs,
    docker: {
      image: 'prom/alertmanager:v0.27.0',
      containerPort: 9093,
      dataDir: '/alertmanager',
      hostPorts: access.ports,
    },
  });
  return new AlertmanagerService(runtime, dir).init();
}

function renderConfig(options: AlertmanagerOptions): string {
  if (options.configYaml !== undefined) return options.configYaml;
  const { webhookUrl } = options;
  if (webhookUrl === undefined) {
    throw new Error('startAlertmanager needs either webhookUrl or configYaml');
  }
  return alertmanagerConfig({ ...options, webhookUrl });
}
