import type { Queue } from 'bullmq';
import type { Logger } from '../logger.js';
import type { RunEngine } from './engine.js';
import { isFinal } from './lifecycle.js';
import { keys } from './keys.js';
import type { RunStore } from './store.js';
import { enqueueRun } from './submit.js';

export interface SweeperOptions {
  store: RunStore;
  queue: Queue;
  engine: RunEngine;
  logger: Logger;
  intervalMs: number;
  /** A queued run older than this without a job gets its job back. */
  orphanAfterMs: number;
  now: () => number;
}

/**
 * The safety net under BullMQ: every worker walks the active runs periodically and
 * - takes over (reverts, ends `aborted: worker lost`) any run under way whose lease expired,
 *   without waiting for BullMQ's stalled-job check;
 * - re-queues a queued run whose job vanished (e.g. removed by hand, or lost with Redis data);
 * - drops ended runs from the active set.
 */
export class Sweeper {
  readonly #timer: NodeJS.Timeout;
  readonly #inFlight = new Map<string, Promise<unknown>>();
  #sweeping: Promise<void> | undefined;
  #stopped = false;

  constructor(private readonly options: SweeperOptions) {
    this.#timer = setInterval(() => {
      this.#sweeping ??= this.sweep()
        .catch((err: unknown) => options.logger.warn({ err }, 'sweep failed'))
        .finally(() => (this.#sweeping = undefined));
    }, options.intervalMs);
    this.#timer.unref();
  }

  async sweep(): Promise<void> {
    const { store, queue, engine, logger } = this.options;
    for (const id of await store.activeRunIds()) {
      if (this.#stopped) return;
      if (this.#inFlight.has(id)) continue;
      const record = await store.get(id).catch(() => undefined);
      if (!record) {
        await store.redis.srem(keys.active, id);
        continue;
      }
      if (isFinal(record.state)) {
        // Its worker died after saving the end and before retiring the run.
        await store.retire(record);
        continue;
      }
      if (record.state === 'queued') {
        if (this.options.now() - record.createdAt < this.options.orphanAfterMs) continue;
        if (!(await queue.getJob(id))) {
          logger.warn({ runId: id }, 'queued run has no job; queueing it again');
          await enqueueRun(queue, id);
        }
        continue;
      }
      if ((await store.leaseHolder(id)) !== undefined) continue;
      logger.warn(
        { runId: id, state: record.state, worker: record.worker },
        'run lease expired; taking it over',
      );
      const work = engine
        .process(id)
        .catch((err: unknown) => logger.error({ err, runId: id }, 'take-over failed'))
        .finally(() => this.#inFlight.delete(id));
      this.#inFlight.set(id, work);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#sweeping;
    await Promise.allSettled(this.#inFlight.values());
  }
}
