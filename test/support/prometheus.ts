import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { chooseBackend } from './backend.js';
import { makeTempDir } from './cleanup.js';
import { HostAccess } from './host-access.js';
import { isHttpOk, postEmpty } from './http.js';
import { createRuntime, ManagedService, type ServiceHandle } from './managed-service.js';
import type { ServiceRuntime } from './runtime.js';

export interface ScrapeTarget {
  job: string;
  /** host:port addresses; 127.0.0.1/localhost ones also work from a container. */
  targets: string[];
  metricsPath?: string;
}

export interface PrometheusOptions {
  scrapeTargets?: ScrapeTarget[];
  /** Rule file name (e.g. `alerts.yml`) -> YAML text. */
  ruleFiles?: Record<string, string>;
  /** Base URLs, e.g. an AlertmanagerHandle's `url`. */
  alertmanagerUrls?: string[];
  /** Default 1s. */
  scrapeInterval?: string;
  /** Default 1s. */
  evaluationInterval?: string;
  startTimeoutMs?: number;
}

export interface PrometheusHandle extends ServiceHandle {
  /** http://HOST:PORT */
  readonly url: string;
  /** POST /-/reload; throws with Prometheus' answer if the config or a rule is invalid. */
  reload(): Promise<void>;
  /** Replaces the whole set of rule files and reloads. */
  updateRuleFiles(ruleFiles: Record<string, string>): Promise<void>;
}

const CONFIG_FILE = 'prometheus.yml';
const RULES_DIR = 'rules';
const SAFE_FILE_NAME = /^[\w.-]+$/;

class PrometheusService extends ManagedService implements PrometheusHandle {
  readonly #config: PrometheusConfig;

  constructor(runtime: ServiceRuntime, dir: string, config: PrometheusConfig) {
    super(runtime, dir);
    this.#config = config;
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  reload(): Promise<void> {
    return postEmpty(`${this.url}/-/reload`);
  }

  async updateRuleFiles(ruleFiles: Record<string, string>): Promise<void> {
    await this.#config.write(ruleFiles);
    await this.runtime.syncConfig();
    await this.reload();
  }
}

/**
 * Starts a real Prometheus with lifecycle API enabled. A bad config or rule file makes it
 * exit at start-up; the thrown error then contains Prometheus' own complaint.
 */
export async function startPrometheus(options: PrometheusOptions = {}): Promise<PrometheusHandle> {
  const choice = await chooseBackend('prometheus');
  const ruleFiles = options.ruleFiles ?? {};
  assertSafeFileNames(Object.keys(ruleFiles));
  const dir = await makeTempDir('prometheus');
  const access = new HostAccess(choice.kind);
  const config = new PrometheusConfig(dir, options, access);
  await config.write(ruleFiles);
  const runtime = createRuntime(choice, {
    name: 'prometheus',
    dir,
    args: ({ listenHost, port, configDir, dataDir }) => [
      `--config.file=${configDir}/${CONFIG_FILE}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=${listenHost}:${port}`,
      '--web.enable-lifecycle',
    ],
    configFiles: () => config.files(),
    isReady: (host, port) => isHttpOk(`http://${host}:${port}/-/ready`),
    startTimeoutMs: options.startTimeoutMs,
    docker: {
      image: 'prom/prometheus:v2.53.0',
      containerPort: 9090,
      dataDir: '/prometheus',
      hostPorts: access.ports,
    },
  });
  return new PrometheusService(runtime, dir, config).init();
}

function assertSafeFileNames(names: string[]): void {
  const unsafe = names.find((name) => !SAFE_FILE_NAME.test(name));
  if (unsafe !== undefined) throw new Error(`Invalid rule file name ${JSON.stringify(unsafe)}`);
}

/** prometheus.yml plus rule files in `<dir>/rules/`, referenced relative to the config file. */
class PrometheusConfig {
  readonly #dir: string;
  readonly #options: PrometheusOptions;
  readonly #access: HostAccess;
  readonly #yaml: string;
  #ruleFileNames: string[] = [];

  constructor(dir: string, options: PrometheusOptions, access: HostAccess) {
    this.#dir = dir;
    this.#options = options;
    this.#access = access;
    // Built once, so that the host ports a container must reach are known before it starts.
    this.#yaml = this.#render();
  }

  files(): string[] {
    return [CONFIG_FILE, ...this.#ruleFileNames.map((name) => `${RULES_DIR}/${name}`)];
  }

  async write(ruleFiles: Record<string, string>): Promise<void> {
    const names = Object.keys(ruleFiles).sort();
    assertSafeFileNames(names);
    await mkdir(join(this.#dir, RULES_DIR), { recursive: true });
    for (const name of names) {
      await writeFile(join(this.#dir, RULES_DIR, name), ruleFiles[name] ?? '');
    }
    this.#ruleFileNames = names;
    const ruleFilesYaml = stringify({ rule_files: names.map((name) => `${RULES_DIR}/${name}`) });
    await writeFile(join(this.#dir, CONFIG_FILE), `${this.#yaml}${ruleFilesYaml}`);
  }

  #render(): string {
    const { scrapeTargets = [], alertmanagerUrls = [] } = this.#options;
    const config = {
      global: {
        scrape_interval: this.#options.scrapeInterval ?? '1s',
        evaluation_interval: this.#options.evaluationInterval ?? '1s',
      },
      alerting:
        alertmanagerUrls.length === 0
          ? undefined
          : { alertmanagers: alertmanagerUrls.map((url) => this.#alertmanager(url)) },
      scrape_configs: scrapeTargets.map((target) => ({
        job_name: target.job,
        metrics_path: target.metricsPath ?? '/metrics',
        static_configs: target.targets.map((address) => this.#staticConfig(address)),
      })),
    };
    return stringify(config);
  }

  #alertmanager(baseUrl: string): Record<string, unknown> {
    const url = new URL(this.#access.rewrite(baseUrl));
    return {
      scheme: url.protocol.replace(/:$/, ''),
      path_prefix: url.pathname === '/' ? undefined : url.pathname,
      static_configs: [{ targets: [url.host] }],
    };
  }

  #staticConfig(address: string): Record<string, unknown> {
    const reachable = this.#access.rewrite(address);
    // Keep `instance` as the test wrote it, so queries look the same in local and Docker mode.
    return reachable === address
      ? { targets: [address] }
      : { targets: [reachable], labels: { instance: address } };
  }
}
