import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { prometheusConfig, type PrometheusConfigOptions } from '../pipeline/config.js';
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
  /**
   * Scrape the lab's jobs from this HTTP service-discovery URL (see lab/pipeline/config.ts). In
   * a container, loopback target addresses are reached through the host alias; the targets must
   * then be served on the SD URL's port, the only one exposed to the container.
   */
  serviceDiscovery?: { url: string };
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
  readonly #base: PrometheusConfigOptions;
  #ruleFileNames: string[] = [];

  constructor(dir: string, options: PrometheusOptions, access: HostAccess) {
    this.#dir = dir;
    // Rewritten once, so that the host ports a container must reach are known before it starts.
    const staticJobs = options.scrapeTargets ?? [];
    for (const { targets } of staticJobs) targets.forEach((address) => access.expose(address));
    this.#base = {
      sdUrl: options.serviceDiscovery && access.rewrite(options.serviceDiscovery.url),
      staticJobs,
      alertmanagerUrls: (options.alertmanagerUrls ?? []).map((url) => access.rewrite(url)),
      scrapeInterval: options.scrapeInterval,
      evaluationInterval: options.evaluationInterval,
      loopbackAlias: access.alias,
    };
  }

  files(): string[] {
    return [CONFIG_FILE, ...this.#ruleFilePaths()];
  }

  async write(ruleFiles: Record<string, string>): Promise<void> {
    const names = Object.keys(ruleFiles).sort();
    assertSafeFileNames(names);
    await mkdir(join(this.#dir, RULES_DIR), { recursive: true });
    for (const name of names) {
      await writeFile(join(this.#dir, RULES_DIR, name), ruleFiles[name] ?? '');
    }
    this.#ruleFileNames = names;
    const config = prometheusConfig({ ...this.#base, ruleFiles: this.#ruleFilePaths() });
    await writeFile(join(this.#dir, CONFIG_FILE), config);
  }

  #ruleFilePaths(): string[] {
    return this.#ruleFileNames.map((name) => `${RULES_DIR}/${name}`);
  }
}
