/**
 * The worker process of bench/concurrent-runs.ts: the real run worker (createRunWorker: engine,
 * BullMQ processor, sweeper) configured from the environment like worker/main.ts, but hosted
 * with the concurrency the bench asks for (`--concurrency`; GAMEDAY_WORKER_CONCURRENCY stops
 * at 64). Over IPC: `start` begins a measurement window, `stop` ends it and answers with the
 * RSS and event-loop delay seen in it.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { RUNS_QUEUE } from '../../src/queue.js';
import { createRunWorker } from '../../src/run/worker.js';
import { startWorkerHost } from '../../src/worker-host.js';

const { values } = parseArgs({ options: { concurrency: { type: 'string' } } });
const config = loadConfig(process.env);
const logger = createLogger({ name: 'bench-worker', level: 'silent', format: 'json' });
const parts = createRunWorker({ config, logger, worker: `bench-observer:${process.pid}` });
const host = startWorkerHost({
  redisUrl: config.redisUrl,
  queueName: RUNS_QUEUE,
  concurrency: Number(values.concurrency),
  lockDurationMs: config.worker.leaseDurationMs,
  processor: parts.processor,
  logger,
});
await host.ready;

const MiB = 2 ** 20;
/** Outgoing HTTP requests by path (Alertmanager does not count its v2 API requests itself). */
let requests = new Map<string, number>();
subscribe('http.client.request.start', (message) => {
  const { request } = message as { request: ClientRequest };
  const path = request.path.split('?')[0] ?? '';
  requests.set(path, (requests.get(path) ?? 0) + 1);
});
/** The event-loop delay histogram's floor: a timer every `resolution` ms. */
const RESOLUTION_MS = 10;
let histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
let rssMax = 0;
let atStart = process.memoryUsage();
let cpuFrom = process.cpuUsage();
let windowFrom = Date.now();
setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 250).unref();
process.on('message', (message) => {
  if (message === 'start') {
    histogram.disable();
    histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    histogram.enable();
    atStart = process.memoryUsage();
    rssMax = atStart.rss;
    cpuFrom = process.cpuUsage();
    windowFrom = Date.now();
    requests = new Map();
  } else if (message === 'stop') {
    histogram.disable();
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage(cpuFrom);
    // What the runs keep, as opposed to the garbage of their polls (needs --expose-gc).
    (globalThis as { gc?: () => void }).gc?.();
    const collected = process.memoryUsage();
    // Lag: how late the sampling timer fired, i.e. the delay minus its own period.
    const lag = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
    const seconds = (Date.now() - windowFrom) / 1000;
    process.send?.({
      rssMaxMiB: Math.max(rssMax, memory.rss) / MiB,
      rssMiB: memory.rss / MiB,
      rssAtStartMiB: atStart.rss / MiB,
      heapUsedAtStartMiB: atStart.heapUsed / MiB,
      heapUsedAfterGcMiB: collected.heapUsed / MiB,
      rssAfterGcMiB: collected.rss / MiB,
      heapUsedMiB: memory.heapUsed / MiB,
      lagMs: {
        p50: lag(histogram.percentile(50)),
        p99: lag(histogram.percentile(99)),
        max: lag(histogram.max),
        mean: lag(histogram.mean),
      },
      requestsPerSecond: Object.fromEntries([...requests].map(([path, n]) => [path, n / seconds])),
      cpuShare: (cpu.user + cpu.system) / 1000 / (Date.now() - windowFrom),
    });
  }
});
process.send?.('ready');
