import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../measure/types.js';

/** Whether an error says trying again may help (FaultError, SignalUnavailable, …). */
export function isRetryable(err: unknown): boolean {
  return (
    typeof err === 'object' && err !== null && (err as { retryable?: unknown }).retryable === true
  );
}

export interface RetryOptions {
  clock: Clock;
  /** Give up once this much time has passed since the first attempt. */
  deadlineMs: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/** How long the error says to wait before trying again (a Transient's `Retry-After`), if it does. */
function retryAfterOf(err: unknown): number {
  const hint = (err as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof hint === 'number' && hint > 0 ? hint : 0;
}

/**
 * Runs `attempt` until it succeeds, a non-retryable error is thrown, or the deadline passes
 * (then the last error is thrown). Backoff doubles with full jitter, so several workers
 * retrying against a struggling API server do not synchronise; a server's `Retry-After`
 * (429, 503) is a floor under the wait.
 */
export async function retryTransient<T>(
  attempt: () => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const { clock, deadlineMs, initialDelayMs = 200, maxDelayMs = 5_000, signal } = options;
  const deadline = clock.now() + deadlineMs;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isRetryable(err)) throw err;
      const left = deadline - clock.now();
      if (left <= 0 || signal?.aborted) throw err;
      const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** (n - 1));
      const wait = Math.min(left, Math.max(50, Math.random() * ceiling, retryAfterOf(err)));
      options.onRetry?.(err, n, wait);
      await delay(wait, undefined, signal ? { signal } : undefined).catch(() => undefined);
    }
  }
}
