/**
 * One answer shared by every caller within `maxAgeMs` of the request that produced it. The runs
 * one worker observes at once all poll the same Prometheus and Alertmanager every second; without
 * this each run sends its own request (a thousand runs: a thousand requests a second to each).
 * A failure goes to the callers already waiting for it and is not kept: the next call asks again.
 */
export class SharedPoll<T> {
  #last: { at: number; answer: Promise<T> } | undefined;

  constructor(private readonly maxAgeMs: number) {}

  /** The shared answer, or a new one from `load(now)` when there is none young enough. */
  get(now: number, load: (now: number) => Promise<T>): Promise<T> {
    const last = this.#last;
    if (last !== undefined && now >= last.at && now - last.at < this.maxAgeMs) return last.answer;
    const entry = { at: now, answer: load(now) };
    this.#last = entry;
    entry.answer.catch(() => {
      if (this.#last === entry) this.#last = undefined;
    });
    return entry.answer;
  }
}
