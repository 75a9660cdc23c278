/**
 * The fault journal: what a run will change or has changed in a cluster, written before each
 * write so that any worker, including one that takes over from a dead one, can revert it.
 */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export type JournalAction = 'create' | 'patch' | 'delete';

export interface JournalEntry {
  /** Stable within a run, e.g. `authorizationpolicy`, so a retried inject finds its own entry. */
  step: string;
  action: JournalAction;
  target: ObjectRef;
  /** For patches: the original values of exactly the fields the patch changes. */
  original?: unknown;
  /** planned: written before the cluster write; applied: the write succeeded; reverted: undone. */
  state: 'planned' | 'applied' | 'reverted';
  at: string;
}

export interface Journal {
  /** Adds or replaces the entry with the same step. Must be durable when it resolves. */
  record(entry: JournalEntry): Promise<void>;
  entries(): Promise<JournalEntry[]>;
}

/** A journal held in memory, for tests and dry runs; the run engine stores it in Redis. */
export class MemoryJournal implements Journal {
  readonly #entries = new Map<string, JournalEntry>();

  async record(entry: JournalEntry): Promise<void> {
    this.#entries.set(entry.step, structuredClone(entry));
  }

  async entries(): Promise<JournalEntry[]> {
    return [...this.#entries.values()].map((entry) => structuredClone(entry));
  }
}
