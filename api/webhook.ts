import { createHash, timingSafeEqual } from 'node:crypto';
import express, { Router } from 'express';
import type { Clock } from '../src/measure/types.js';
import type { RunStore } from '../src/run/store.js';
import { InvalidWebhookPayload, parseWebhook } from '../src/signals/webhook.js';
import { contract } from '../src/contract/operations.js';
import { sendProblem } from './problem.js';

/** Alertmanager batches alerts per group; a few hundred alerts stay well under this. */
const WEBHOOK_BODY_LIMIT = '1mb';

/** Compares secrets in constant time (hashing first makes the lengths equal). */
export function secretsEqual(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * POST /api/v1/alertmanager/webhook — Alertmanager's webhook receiver. Authenticated by its own
 * secret (`http_config.authorization.credentials` in Alertmanager, sent as a Bearer token), not
 * by API tokens. Every notification's alerts go to Redis, where running runs read them.
 */
export function webhookRouter(deps: {
  store: RunStore;
  secret: string | undefined;
  clock: Clock;
}): Router {
  const router = Router();
  router.post(
    contract.alertmanagerWebhook.path,
    (req, res, next) => {
      if (deps.secret === undefined) {
        sendProblem(res, {
          title: 'Service Unavailable',
          status: 503,
          detail: 'The webhook is disabled: GAMEDAY_WEBHOOK_SECRET is not set.',
        });
        return;
      }
      const header = req.headers.authorization ?? '';
      const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
      if (!given || !secretsEqual(given, deps.secret)) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="gameday-webhook"');
        sendProblem(res, {
          title: 'Unauthorized',
          status: 401,
          detail: 'Send the webhook secret as Authorization: Bearer <secret>.',
        });
        return;
      }
      next();
    },
    express.json({ limit: WEBHOOK_BODY_LIMIT }),
    async (req, res, next) => {
      try {
        const observations = parseWebhook(req.body, deps.clock.now());
        await deps.store.appendWebhookAlerts(observations);
        res.status(202).json({ accepted: observations.length });
      } catch (err) {
        if (err instanceof InvalidWebhookPayload) {
          sendProblem(res, {
            title: 'Bad Request',
            status: 400,
            detail: err.message,
            // As every other route names fields: `body.alerts[0].startsAt`, `body` for the whole.
            errors: err.fields.map(({ field, message }) => ({
              field: field === '(payload)' ? 'body' : `body.${field}`,
              message,
            })),
          });
          return;
        }
        next(err);
      }
    },
  );
  return router;
}
