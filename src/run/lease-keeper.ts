import type { Logger } from '../logger.js';
import type { RunStore } from './store.js';

/**
 * Keeps a run's lease alive while a worker works on it: renewed every third of its TTL. When a
 * renewal finds the lease gone or held by another worker — or renewals keep failing until the
 * TTL has surely run out — `signal` aborts: another worker may already be reverting the run, so
 * this one must stop at once and write nothing more.
 */
export class LeaseKeeper {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  #lastRenewed = Date.now();

  constructor(
    private readonly store: RunStore,
    private readonly runId: string,
    private readonly worker: string,
    private readonly ttlMs: number,
    private readonly logger: Logger,
  ) {
    this.#timer = setInterval(() => void this.#renew(), Math.max(100, Math.floor(ttlMs / 3)));
    this.#timer.unref();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  async #renew(): Promise<void> {
    if (this.#controller.signal.aborted) return;
    try {
      if (await this.store.renewLease(this.runId, this.worker, this.ttlMs)) {
        this.#lastRenewed = Date.now();
        return;
      }
      this.#lose('the lease is held by another worker');
    } catch (err) {
      this.logger.warn({ err, runId: this.runId }, 'could not renew the run lease');
      if (Date.now() - this.#lastRenewed >= this.ttlMs)
        this.#lose('could not renew the lease in time');
    }
  }

  #lose(reason: string): void {
    clearInterval(this.#timer);
    this.logger.error({ runId: this.runId, reason }, 'lost the run lease; stopping work on it');
    this.#controller.abort(new Error(`lease lost: ${reason}`));
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    if (!this.#controller.signal.aborted) {
      await this.store.releaseLease(this.runId, this.worker).catch(() => undefined);
    }
  }
}
