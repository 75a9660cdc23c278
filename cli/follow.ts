import type { CommandContext } from './command.js';
import { ApiError } from './errors.js';

const POLL_INTERVAL_MS = 1_000;
/** Without a terminal, an unchanged progress line is still repeated this often: never silent. */
export const HEARTBEAT_MS = 5_000;
/** Consecutive polls the API may miss (a restart, a blip) before waiting gives up. */
const MAX_POLL_FAILURES = 10;

/** Calls the API, tolerating it being briefly unreachable: undefined when it was. */
export type TolerantCall = <U>(call: () => Promise<U>) => Promise<U | undefined>;

/** One progress line, and what identifies it apart from its clocks (it is printed on change). */
export interface Progress {
  text: string;
  key: string;
}

export interface FollowOptions<T> {
  initial: T;
  /** Reads the record again. */
  fetch: () => Promise<T>;
  /** The progress line; may read more through `tolerant` (e.g. a GameDay's current run). */
  progress: (record: T, elapsedMs: number, tolerant: TolerantCall) => Promise<Progress> | Progress;
  done: (record: T) => boolean;
  /** Printed when the user stops waiting with Ctrl-C (the run or GameDay goes on). */
  interrupted: string;
}

/**
 * Polls a run or GameDay every second until it ends, showing its progress line: on a terminal
 * rewritten in place every poll; in a log each time it changes, and at least every
 * {@link HEARTBEAT_MS} while it does not, so a long wait never looks hung.
 */
export async function follow<T>(
  ctx: Pick<CommandContext, 'out'>,
  options: FollowOptions<T>,
): Promise<T> {
  const started = Date.now();
  let record = options.initial;
  let shownKey: string | undefined;
  let shownAt = 0;
  let failures = 0;
  const tolerant: TolerantCall = async (call) => {
    try {
      const value = await call();
      failures = 0;
      return value;
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== undefined) throw err;
      failures += 1;
      if (failures >= MAX_POLL_FAILURES) throw err;
      return undefined;
    }
  };
  const onInterrupt = () => {
    ctx.out.endProgress();
    ctx.out.error(options.interrupted);
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  try {
    for (;;) {
      const now = Date.now();
      const { text, key } = await options.progress(record, now - started, tolerant);
      if (process.stderr.isTTY || key !== shownKey || now - shownAt >= HEARTBEAT_MS) {
        ctx.out.progress(text);
        shownKey = key;
        shownAt = now;
      }
      if (options.done(record)) break;
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
      record = (await tolerant(options.fetch)) ?? record;
    }
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    ctx.out.endProgress();
  }
  return record;
}
