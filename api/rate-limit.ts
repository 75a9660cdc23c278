import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from './http-error.js';

/**
 * Limits writes per credential (or per client address without one) to `perMinute`, in a sliding
 * one-minute window, answering 429 with Retry-After: a runaway CI loop must not queue a thousand
 * GameDays against a cluster. Per API process; the limit is a guard rail, not accounting.
 */
export function writeRateLimit(perMinute: number, now: () => number = Date.now): RequestHandler {
  const windows = new Map<string, number[]>();
  return (req, res, next) => {
    if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(req.method)) {
      next();
      return;
    }
    const credential = req.headers.authorization ?? `address:${req.socket.remoteAddress ?? ''}`;
    const key = createHash('sha256').update(credential).digest('base64url');
    const at = now();
    const recent = (windows.get(key) ?? []).filter((t) => t > at - 60_000);
    if (recent.length >= perMinute) {
      const retryAfter = Math.max(1, Math.ceil((recent[0]! + 60_000 - at) / 1000));
      res.setHeader('Retry-After', String(retryAfter));
      throw new HttpError(
        429,
        'Too Many Requests',
        `At most ${perMinute} writes a minute per token; retry in ${retryAfter}s.`,
      );
    }
    recent.push(at);
    windows.set(key, recent);
    if (windows.size > 10_000) windows.delete(windows.keys().next().value!);
    next();
  };
}
