import { failpoint } from '../failpoints.js';
import type { Journal, JournalEntry } from '../faults/journal.js';
import type { Clock } from '../measure/types.js';
import type { RunStore } from './store.js';

/**
 * A run's fault journal in Redis. Every record is fenced by the run's lease, so a change is
 * journaled — and therefore made — only by the worker that owns the run.
 *
 * It also times the inject: t0 is when the last write of the inject was accepted (the one that
 * completes the fault: the Gateway repointed after its Secret was created, istiod restarted
 * after its NetworkPolicy was applied), and its start is when that write was journaled as planned.
 */
export class RedisJournal implements Journal {
  #watching = false;
  #plannedAt = new Map<string, number>();
  #lastApplied: { step: string; sentAt: number; acceptedAt: number } | undefined;

  constructor(
    private readonly store: RunStore,
    private readonly runId: string,
    private readonly worker: string,
    private readonly clock: Clock,
  ) {}

  async record(entry: JournalEntry): Promise<void> {
    const now = this.clock.now();
    await this.store.journalRecord(this.runId, this.worker, entry);
    failpoint(`journal.${entry.state}`);
    if (!this.#watching) return;
    if (entry.state === 'planned') this.#plannedAt.set(entry.step, now);
    if (entry.state === 'applied') {
      this.#lastApplied = {
        step: entry.step,
        sentAt: this.#plannedAt.get(entry.step) ?? now,
        acceptedAt: now,
      };
    }
  }

  entries(): Promise<JournalEntry[]> {
    return this.store.journalEntries(this.runId);
  }

  /** Starts timing writes (for the inject). */
  watchWrites(): void {
    this.#watching = true;
    this.#plannedAt.clear();
    this.#lastApplied = undefined;
  }

  /** The last write accepted since watchWrites(), with when it was sent. */
  lastAccepted(): { step: string; sentAt: number; acceptedAt: number } | undefined {
    return this.#lastApplied;
  }
}
