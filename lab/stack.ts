import { startRedis, type RedisHandle, type RedisOptions } from './services/redis.js';
import { waitFor } from './services/wait-for.js';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry as MetricsRegistry } from 'prom-client';
import { createApp } from '../api/app.js';
import { startLab, type Lab, type LabOptions } from './index.js';
import { startObservability, type Observability } from './pipeline/observability.js';
import { RESOURCE_TYPES } from './apiserver/resources.js';
import { labScenario } from './scenarios.js';
import { waitForCleanBaseline } from './demo.js';
import { loadConfig, type GamedayConfig } from '../src/config.js';
import { PATCHED_BY_ANNOTATION, RUN_ID_LABEL } from '../src/faults/ownership.js';
import { createLogger } from '../src/logger.js';
import { systemClock } from '../src/measure/types.js';
import { createRedisConnection, type Redis } from '../src/redis.js';
import { PrometheusClient } from '../src/signals/prometheus.js';
import type { EngineTiming } from '../src/run/engine.js';
import { isFinal } from '../src/run/lifecycle.js';
import { RunStore } from '../src/run/store.js';
import type { RunRecord } from '../src/run/types.js';
import { createRunWorker, type RunWorkerParts } from '../src/run/worker.js';
import { loadScenarioFile } from '../src/scenario/loader.js';
import type { Scenario } from '../src/scenario/schema.js';
import { startWorkerHost, type WorkerHost } from '../src/worker-host.js';
import { QUEUE_PREFIX, RUNS_QUEUE } from '../src/queue.js';
import { Queue } from 'bullmq';
import { tokenAuthenticator } from '../api/auth.js';
import { registerRunMetrics } from '../src/metrics-collectors.js';
import { directoryCatalogue } from '../src/scenario/directory-catalogue.js';

/** API tokens, one list per role, as GAMEDAY_API_TOKENS_* configure them. */
export interface StackTokens {
  viewer: string[];
  operator: string[];
  admin: string[];
}

export interface LabStackOptions {
  lab?: LabOptions;
  /** Run lease; short in tests so take-over is quick. Default 3 s. */
  leaseMs?: number;
  /** How Redis is started, e.g. with AOF persistence to survive a restart. */
  redis?: RedisOptions;
  /** Port of the API (and dashboard); 0 picks a free one. */
  apiPort?: number;
  tokens?: StackTokens;
  webhookSecret?: string;
}

const randomSecret = () => randomBytes(24).toString('base64url');
const logger = createLogger({ name: 'lab-stack', level: 'silent', format: 'json' });

/**
 * Everything a run needs, real: Redis, the mesh lab, the API (with the dashboard and the
 * Alertmanager webhook), Prometheus scraping the lab with the lab rules, Alertmanager routing to
 * the API. Workers are added in-process with `startWorker`, or as processes from `env`. The
 * demo and the end-to-end tests both run on it.
 */
export interface LabStack {
  redis: RedisHandle;
  lab: Lab;
  observability: Observability;
  store: RunStore;
  /** Environment of a worker process pointed at all of it. */
  env: Record<string, string>;
  config: GamedayConfig;
  apiUrl: string;
  tokens: StackTokens;
  /** Starts an in-process worker (engine + BullMQ worker + sweeper). */
  startWorker(name: string, timing?: Partial<EngineTiming>): Promise<InProcessWorker>;
  /** A catalogue scenario, made to run in the lab within seconds. */
  scenario(file: string): Promise<Scenario>;
  /**
   * Waits until Prometheus has traffic data for the scenario's success query and no alert is
   * pending or firing (the previous run's alerts resolved): a clean baseline.
   */
  settle(scenario: Scenario): Promise<void>;
  /** Polls the record until the run reaches a final state. */
  waitForEnd(runId: string, timeoutMs?: number): Promise<RunRecord>;
  waitForState(runId: string, states: string[], timeoutMs?: number): Promise<RunRecord>;
  stop(): Promise<void>;
}

export interface InProcessWorker {
  parts: RunWorkerParts;
  host: WorkerHost;
  stop(): Promise<void>;
}

export async function startLabStack(options: LabStackOptions = {}): Promise<LabStack> {
  const tokens = options.tokens ?? {
    viewer: [randomSecret()],
    operator: [randomSecret()],
    admin: [randomSecret()],
  };
  const webhookSecret = options.webhookSecret ?? randomSecret();
  const redis = await startRedis(options.redis);
  const connection: Redis = createRedisConnection({
    url: redis.url,
    connectionName: 'lab-stack',
    logger,
    purpose: 'queue',
  });
  const store = new RunStore(connection);
  const lab = await startLab({ speed: 20, ...options.lab });
  const files = await mkdtemp(join(tmpdir(), 'gameday-stack-'));
  const kubeconfig = join(files, 'kubeconfig');
  await writeFile(kubeconfig, lab.kubeconfig(), { mode: 0o600 });
  const apiQueue = new Queue(RUNS_QUEUE, { connection, prefix: QUEUE_PREFIX });
  const metrics = new MetricsRegistry();
  registerRunMetrics(metrics, { redis: connection, queue: apiQueue, logger });
  const app = createApp({
    logger,
    metrics,
    readiness: {},
    api: {
      store,
      queue: apiQueue,
      clock: systemClock,
      logger,
      catalogue: directoryCatalogue('scenarios'),
      authenticate: tokenAuthenticator(tokens),
      webhookSecret,
    },
  });
  const server: Server = app.listen(options.apiPort ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const observability = await startObservability({
    sdUrl: lab.telemetry!.sdUrl,
    webhookUrl: `${apiUrl}/api/v1/alertmanager/webhook`,
    webhookSecret,
  });
  const env: Record<string, string> = {
    REDIS_URL: redis.url,
    KUBECONFIG: kubeconfig,
    PROMETHEUS_URL: observability.prometheus.url,
    ALERTMANAGER_URL: observability.alertmanager.url,
    GAMEDAY_NAMESPACE_ALLOWLIST: 'istio-system,payments,orders,frontend',
    GAMEDAY_LEASE_DURATION: `${options.leaseMs ?? 3_000}ms`,
    GAMEDAY_WORKER_CONCURRENCY: '4',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
  };
  const config = loadConfig(env);
  const workers: InProcessWorker[] = [];

  const stack: LabStack = {
    redis,
    lab,
    observability,
    store,
    env,
    config,
    apiUrl,
    tokens,
    async startWorker(name, timing) {
      const workerLogger = createLogger({ name, level: 'silent', format: 'json' });
      const parts = createRunWorker({
        config,
        logger: workerLogger,
        worker: name,
        ...(timing && { timing }),
      });
      const host = startWorkerHost({
        redisUrl: redis.url,
        queueName: RUNS_QUEUE,
        concurrency: config.worker.concurrency,
        lockDurationMs: config.worker.leaseDurationMs,
        processor: parts.processor,
        logger: workerLogger,
      });
      await host.ready;
      const worker: InProcessWorker = {
        parts,
        host,
        async stop() {
          await host.shutdown(10_000);
          await parts.close();
        },
      };
      workers.push(worker);
      return worker;
    },
    async scenario(file) {
      const loaded = await loadScenarioFile(join('scenarios', file));
      const document = loaded.documents[0];
      if (!document || document.kind !== 'Scenario' || loaded.errors.length > 0) {
        throw new Error(`scenarios/${file} did not load as one Scenario`);
      }
      return labScenario(document, { gateway: lab.gateway! });
    },
    async settle(scenario) {
      const prometheus = new PrometheusClient({
        url: observability.prometheus.url,
        auth: undefined,
        caFile: undefined,
      });
      try {
        await waitForCleanBaseline(prometheus, scenario, 180_000);
      } finally {
        prometheus.close();
      }
    },
    waitForEnd: (runId, timeoutMs = 120_000) =>
      stack.waitForState(runId, ['completed', 'failed', 'aborted', 'error'], timeoutMs),
    async waitForState(runId, states, timeoutMs = 60_000) {
      let record: RunRecord | undefined;
      await waitFor(
        async () => {
          record = await store.get(runId);
          return record !== undefined && (states.includes(record.state) || isFinal(record.state));
        },
        { description: `run ${runId} in state ${states.join('|')}`, timeoutMs, intervalMs: 20 },
      );
      if (!record || !states.includes(record.state)) {
        throw new Error(`run ${runId} ended ${record?.state}: ${record?.summary}`);
      }
      return record;
    },
    async stop() {
      await Promise.allSettled(workers.map((w) => w.stop()));
      await observability.stop();
      await apiQueue.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await lab.stop();
      await connection.quit().catch(() => connection.disconnect());
      await redis.dispose();
      await rm(files, { recursive: true, force: true });
    },
  };
  return stack;
}

/** Every lab object a run marked (created, or patched and annotated), as `Kind ns/name`. */
export function objectsMarkedBy(lab: Lab, runId: string): string[] {
  const found: string[] = [];
  for (const resource of RESOURCE_TYPES) {
    for (const object of lab.registry.store.list(resource, undefined)) {
      const meta = object.metadata ?? {};
      if (
        meta.labels?.[RUN_ID_LABEL] === runId ||
        meta.annotations?.[PATCHED_BY_ANNOTATION] === runId
      ) {
        found.push(`${object.kind} ${meta.namespace ?? ''}/${meta.name}`);
      }
    }
  }
  return found;
}
