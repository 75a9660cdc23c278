import { setTimeout as delay } from 'node:timers/promises';

/** Values that mean "not yet" to {@link waitFor}. */
export type Pending = undefined | null | false;

export interface WaitForOptions {
  /** What is being waited for; used in the timeout message (a function is called at timeout). */
  description: string | (() => string);
  timeoutMs?: number;
  intervalMs?: number;
  /** Aborting rejects immediately with the signal's reason (e.g. "the process exited"). */
  signal?: AbortSignal;
}

export class WaitTimeoutError extends Error {
  override name = 'WaitTimeoutError';
}

/**
 * Polls `fn` until it returns something other than undefined/null/false and returns that
 * value. Errors thrown by `fn` count as "not yet" and the last one is reported on timeout.
 * Each attempt is bounded by the remaining time, so a hanging `fn` cannot outlive the deadline.
 */
export async function waitFor<T>(
  fn: () => Promise<T | Pending> | T | Pending,
  { description, timeoutMs = 10_000, intervalMs = 100, signal }: WaitForOptions,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let attempts = 0;
  for (;;) {
    signal?.throwIfAborted();
    attempts += 1;
    try {
      const value = await withinDeadline(Promise.resolve().then(fn), deadline, signal);
      if (value !== undefined && value !== null && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      signal?.throwIfAborted();
      if (!(error instanceof AttemptTimeout)) lastError = error;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      const last =
        lastError === undefined ? 'none (condition not met yet)' : describeError(lastError);
      const what = typeof description === 'function' ? description() : description;
      throw new WaitTimeoutError(
        `Timed out after ${timeoutMs}ms waiting for ${what} (${attempts} attempts); last error: ${last}`,
      );
    }
    await delay(Math.min(intervalMs, remaining), undefined, { signal }).catch(() => undefined);
  }
}

class AttemptTimeout extends Error {}

async function withinDeadline<T>(
  promise: Promise<T>,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<T> {
  const ac = new AbortController();
  const onAbort = (): void => ac.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const timeout = delay(Math.max(0, deadline - Date.now()), undefined, { signal: ac.signal }).then(
    () => {
      throw signal?.aborted ? signal.reason : new AttemptTimeout();
    },
  );
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    ac.abort();
    signal?.removeEventListener('abort', onAbort);
    timeout.catch(() => undefined);
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause === undefined ? '' : ` (cause: ${describeError(error.cause)})`;
    return `${error.message}${cause}`;
  }
  return String(error);
}

/** Resolves true if `promise` settles within `timeoutMs`, false otherwise (never rejects). */
export async function settlesWithin(
  promise: Promise<unknown>,
  timeoutMs: number,
): Promise<boolean> {
  const ac = new AbortController();
  const settled = promise.then(
    () => true,
    () => true,
  );
  const timedOut = delay(timeoutMs, false, { signal: ac.signal }).catch(() => false);
  try {
    return await Promise.race([settled, timedOut]);
  } finally {
    ac.abort();
  }
}
