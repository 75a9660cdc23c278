/** Alertmanager webhook notifications (push), validated at the edge. */
import { z } from 'zod';
import type { AlertObservation } from '../measure/types.js';
import { isRfc3339, parseSourceTime } from './timestamps.js';

const timestamp = z.string({ error: 'expected an RFC 3339 timestamp' }).refine(isRfc3339, {
  error: (issue) => `expected an RFC 3339 timestamp, got ${JSON.stringify(issue.input)}`,
});

const labels = z.record(z.string(), z.string({ error: 'expected a string label value' }), {
  error: 'expected a mapping of label names to values',
});

export const webhookAlertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels,
  annotations: z.record(z.string(), z.string()).optional(),
  startsAt: timestamp,
  endsAt: timestamp,
  generatorURL: z.string().optional(),
  fingerprint: z
    .string({ error: 'expected a fingerprint' })
    .regex(/^[0-9a-f]{16}$/, { error: 'expected a fingerprint of 16 hex digits' }),
});

/**
 * Alertmanager's webhook payload, version 4 (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
 * Fields the measurement does not use are optional; unknown fields are allowed, so that a newer
 * Alertmanager is not refused.
 */
export const webhookPayloadSchema = z.object({
  version: z.literal('4', { error: 'expected "4" (the Alertmanager webhook payload version)' }),
  groupKey: z.string().optional(),
  truncatedAlerts: z.number().optional(),
  status: z.enum(['firing', 'resolved']).optional(),
  receiver: z.string().optional(),
  groupLabels: z.record(z.string(), z.string()).optional(),
  commonLabels: z.record(z.string(), z.string()).optional(),
  commonAnnotations: z.record(z.string(), z.string()).optional(),
  externalURL: z.string().optional(),
  alerts: z.array(webhookAlertSchema, { error: 'expected a list of alerts' }),
});

export type WebhookPayload = z.output<typeof webhookPayloadSchema>;
export type WebhookAlert = z.output<typeof webhookAlertSchema>;

/** The payload is not an Alertmanager webhook notification; `issues` name the fields at fault. */
export class InvalidWebhookPayload extends Error {
  override readonly name = 'InvalidWebhookPayload';
  constructor(
    readonly issues: string[],
    /** The same issues as field (`alerts[0].startsAt`, `(payload)`) and message. */
    readonly fields: Array<{ field: string; message: string }> = [],
  ) {
    super(`invalid Alertmanager webhook payload: ${issues.join('; ')}`);
  }
}

function issuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(payload)' : out;
}

/**
 * Validates a webhook payload and turns its alerts into observations (source `webhook`). A
 * resolved alert carries `endsAt`; a firing one does not (Alertmanager writes Go's zero time
 * `0001-01-01T00:00:00Z` for "not set", or a tentative expiry). Throws InvalidWebhookPayload.
 */
export function parseWebhook(payload: unknown, observedAt: number): AlertObservation[] {
  const result = webhookPayloadSchema.safeParse(payload);
  if (!result.success) {
    const fields = result.error.issues
      .slice(0, 10)
      .map((issue) => ({ field: issuePath(issue.path), message: issue.message }));
    throw new InvalidWebhookPayload(
      fields.map(({ field, message }) => `${field}: ${message}`),
      fields,
    );
  }
  return result.data.alerts.map((alert) => {
    const startsAt = parseSourceTime(alert.startsAt);
    const endsAt = alert.status === 'resolved' ? parseSourceTime(alert.endsAt) : undefined;
    return {
      source: 'webhook',
      fingerprint: alert.fingerprint,
      labels: alert.labels,
      state: alert.status,
      ...(startsAt !== undefined && { startsAt }),
      ...(endsAt !== undefined && { endsAt }),
      observedAt,
    };
  });
}
