import { createWriteStream, type WriteStream } from 'node:fs';

const DEFAULT_TAIL_BYTES = 4096;

/**
 * Appends a service's output to a log file and keeps the last few KB of the current run in
 * memory so that start-up failures can quote it in their error message.
 */
export class LogSink {
  readonly #file: WriteStream;
  readonly #tailBytes: number;
  #tail = '';

  constructor(
    readonly path: string,
    tailBytes = DEFAULT_TAIL_BYTES,
  ) {
    this.#file = createWriteStream(path, { flags: 'a' });
    // A failing log file must not crash the run; the in-memory tail still works.
    this.#file.on('error', () => undefined);
    this.#tailBytes = tailBytes;
  }

  write(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (this.#file.writable) this.#file.write(text);
    this.#tail = (this.#tail + text).slice(-this.#tailBytes);
  }

  /** Marks the start of a new run: logs `header` and forgets the previous run's tail. */
  beginRun(header: string): void {
    this.#tail = '';
    if (this.#file.writable) this.#file.write(`\n--- ${new Date().toISOString()} ${header}\n`);
  }

  /** The last ~4 KB of output of the current run. */
  tail(): string {
    return this.#tail;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.#file.writable) resolve();
      else this.#file.end(() => resolve());
    });
  }
}
