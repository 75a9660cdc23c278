import { DelayedError, Queue } from 'bullmq';
import type { Job } from 'bullmq';
import type { GamedayConfig } from '../config.js';
import { kubeClients, loadKubeConfig, type KubeClients } from '../kube/clients.js';
import type { Logger } from '../logger.js';
import { systemClock, type Clock } from '../measure/types.js';
import { QUEUE_PREFIX, RUNS_QUEUE } from '../queue.js';
import { createRedisConnection, type Redis } from '../redis.js';
import { AlertmanagerClient } from '../signals/alertmanager.js';
import { PrometheusClient } from '../signals/prometheus.js';
import type { JobProcessor } from '../worker-host.js';
import { RunEngine, type EngineMetrics, type EngineTiming } from './engine.js';
import { GAMEDAY_JOB, stepGameDay } from './gameday.js';
import { engineMetrics, RunMetricsStore } from './metrics-store.js';
import { TrendIndex } from '../trends/index-store.js';
import { RunStore } from './store.js';
import { SCHEDULED_JOB, startScheduled, type ScheduleTarget } from './schedules.js';
import { directoryCatalogue } from '../scenario/directory-catalogue.js';

/** How long one alert poll answers every run of a worker (the runs poll every second). */
const SHARED_ALERT_POLL_MS = 500;
import { Sweeper } from './sweeper.js';

/** How long a run waits before trying a busy target again. */
const TARGET_BUSY_RETRY_MS = 2_000;

export interface RunWorkerParts {
  engine: RunEngine;
  store: RunStore;
  queue: Queue;
  sweeper: Sweeper;
  processor: JobProcessor;
  close(): Promise<void>;
}

/**
 * Everything a worker process needs to execute runs, built from the configuration: the engine
 * (with its Kubernetes, Prometheus and Alertmanager clients), the BullMQ job processor, and the
 * sweeper that takes over runs of dead workers.
 */
export function createRunWorker(options: {
  config: GamedayConfig;
  logger: Logger;
  worker: string;
  clock?: Clock;
  timing?: Partial<EngineTiming>;
  metrics?: EngineMetrics;
}): RunWorkerParts {
  const { config, logger, worker } = options;
  const clock = options.clock ?? systemClock;
  const redis: Redis = createRedisConnection({
    url: config.redisUrl,
    connectionName: `gameday-worker:store`,
    logger,
    purpose: 'queue',
  });
  const store = new RunStore(redis);
  const catalogue = directoryCatalogue(config.scenariosDir);
  const trends = new TrendIndex(redis);
  const queue = new Queue(RUNS_QUEUE, { connection: redis, prefix: QUEUE_PREFIX });
  const clusters = new Map<string, KubeClients>();
  const kube = (context: string) => {
    const key = context || config.kube.context || '';
    let clients = clusters.get(key);
    if (!clients) {
      clients = kubeClients(
        loadKubeConfig({
          ...(config.kube.kubeconfig !== undefined && { kubeconfig: config.kube.kubeconfig }),
          ...(key !== '' && { context: key }),
        }),
        { requestTimeoutMs: config.kube.requestTimeoutMs },
      );
      clusters.set(key, clients);
    }
    return clients;
  };
  const engine = new RunEngine({
    store,
    kube,
    // Every run this worker observes shares one alert poll per source and half a second.
    alertSources: {
      prometheus:
        config.prometheus &&
        new PrometheusClient(config.prometheus, { shareAlertsForMs: SHARED_ALERT_POLL_MS }),
      alertmanager:
        config.alertmanager &&
        new AlertmanagerClient(config.alertmanager, { shareAlertsForMs: SHARED_ALERT_POLL_MS }),
    },
    allowlist: config.namespaceAllowlist,
    clock,
    logger,
    worker,
    timing: { leaseMs: config.worker.leaseDurationMs, ...options.timing },
    metrics: options.metrics ?? engineMetrics(new RunMetricsStore(redis), logger),
    onFinished: (record) => trends.record(record),
  });
  const sweeper = new Sweeper({
    store,
    queue,
    engine,
    logger,
    intervalMs: Math.max(250, Math.min(2_000, Math.floor(engine.timing.leaseMs / 5))),
    orphanAfterMs: 60_000,
    now: () => clock.now(),
  });
  const processor: JobProcessor = async (job: Job, signal, token) => {
    if (job.name === SCHEDULED_JOB) {
      const outcome = await startScheduled(
        { store, queue, clock, catalogue },
        job.data as ScheduleTarget & { scheduleId: string },
      );
      if (outcome.kind === 'skipped')
        logger.warn({ jobId: job.id, reason: outcome.reason }, 'scheduled run skipped');
      return outcome;
    }
    if (job.name === GAMEDAY_JOB) {
      const { gameDayId } = job.data as { gameDayId: string };
      const step = await stepGameDay({ store, queue, clock }, gameDayId);
      if (step.kind === 'wait') {
        await job.moveToDelayed(step.untilMs, token);
        throw new DelayedError();
      }
      return step;
    }
    const { runId } = job.data as { runId: string };
    const outcome = await engine.process(runId, signal);
    if (outcome.kind === 'target busy') {
      logger.info({ runId, holder: outcome.holder }, 'target busy; the run waits for it');
      await job.moveToDelayed(Date.now() + TARGET_BUSY_RETRY_MS, token);
      throw new DelayedError();
    }
    return outcome;
  };
  return {
    engine,
    store,
    queue,
    sweeper,
    processor,
    async close() {
      await sweeper.stop();
      await queue.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
