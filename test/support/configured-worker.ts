import type { InProcessWorker, LabStack } from '../../lab/stack.js';
import type { GamedayConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { RUNS_QUEUE } from '../../src/queue.js';
import type { EngineTiming } from '../../src/run/engine.js';
import { createRunWorker } from '../../src/run/worker.js';
import { startWorkerHost } from '../../src/worker-host.js';

/**
 * An in-process worker like `stack.startWorker`, but with the stack's configuration changed by
 * `configure` (e.g. Prometheus behind a slow proxy, more namespaces allowed, more concurrency).
 * The caller stops it; `stack.stop()` does not know about it.
 */
export async function startConfiguredWorker(
  stack: LabStack,
  name: string,
  configure: (config: GamedayConfig) => GamedayConfig,
  timing?: Partial<EngineTiming>,
): Promise<InProcessWorker> {
  const config = configure(structuredClone(stack.config));
  const logger = createLogger({ name, level: 'silent', format: 'json' });
  const parts = createRunWorker({ config, logger, worker: name, ...(timing && { timing }) });
  const host = startWorkerHost({
    redisUrl: config.redisUrl,
    queueName: RUNS_QUEUE,
    concurrency: config.worker.concurrency,
    lockDurationMs: config.worker.leaseDurationMs,
    processor: parts.processor,
    logger,
  });
  await host.ready;
  return {
    parts,
    host,
    async stop() {
      await host.shutdown(10_000);
      await parts.close();
    },
  };
}
