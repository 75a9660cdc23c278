/** Alertmanager API v2: the alerts it currently holds. */
import { z } from 'zod';
import type { HttpEndpoint } from '../config.js';
import type { AlertObservation } from '../measure/types.js';
import { SignalUnavailable } from './errors.js';
import { JsonHttpClient } from './http-client.js';
import { SharedPoll } from './shared-poll.js';
import { parseSourceTime } from './timestamps.js';

export interface AlertmanagerClientOptions {
  /** Per request. Default 5 s. */
  timeoutMs?: number;
  /** Answer every `alerts()` call within this many ms of a request with its answer. Default 0. */
  shareAlertsForMs?: number;
}

const apiAlerts = z.array(
  z.object({
    fingerprint: z.string(),
    labels: z.record(z.string(), z.string()),
    startsAt: z.string(),
    endsAt: z.string().optional(),
    status: z.object({ state: z.string() }),
  }),
);

export class AlertmanagerClient {
  readonly #http: JsonHttpClient;
  readonly #alerts: SharedPoll<AlertObservation[]>;

  constructor(endpoint: HttpEndpoint, options: AlertmanagerClientOptions = {}) {
    this.#http = new JsonHttpClient(endpoint, {
      source: 'alertmanager',
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    });
    this.#alerts = new SharedPoll(options.shareAlertsForMs ?? 0);
  }

  get displayUrl(): string {
    return this.#http.displayUrl;
  }

  /**
   * Every alert Alertmanager holds, silenced, inhibited and not yet processed ones included: all
   * are firing as far as measurement goes (a silence hides a notification, not the detection).
   *
   * Alertmanager's API never lists resolved alerts, and the `endsAt` it shows for a firing one
   * is only when it would expire without being re-sent, so `endsAt` is left out (in the
   * measurement contract it means "resolved at"); resolution is seen through the webhook or by the
   * alert disappearing.
   */
  alerts(observedAt: number): Promise<AlertObservation[]> {
    return this.#alerts.get(observedAt, (at) => this.#fetchAlerts(at));
  }

  async #fetchAlerts(observedAt: number): Promise<AlertObservation[]> {
    const body = await this.#http.get('/api/v2/alerts', {
      active: 'true',
      silenced: 'true',
      inhibited: 'true',
      unprocessed: 'true',
    });
    const parsed = apiAlerts.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
      throw new SignalUnavailable(
        'alertmanager',
        `Alertmanager at ${this.#http.displayUrl} (/api/v2/alerts) answered with an unexpected document${where}: ${issue?.message ?? 'invalid'}`,
      );
    }
    return parsed.data.map((alert) => {
      const startsAt = parseSourceTime(alert.startsAt);
      return {
        source: 'alertmanager',
        fingerprint: alert.fingerprint,
        labels: alert.labels,
        state: 'firing',
        ...(startsAt !== undefined && { startsAt }),
        observedAt,
      };
    });
  }

  /** Drops kept-alive connections. */
  close(): void {
    this.#http.close();
  }
}
