/** Prometheus HTTP API v1: instant queries, server time, active alerts and alerting rules. */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { HttpEndpoint } from '../config.js';
import { alertFingerprint } from '../measure/fingerprint.js';
import type { AlertObservation } from '../measure/types.js';
import { SignalUnavailable } from './errors.js';
import { JsonHttpClient } from './http-client.js';
import { SharedPoll } from './shared-poll.js';
import { parseSourceTime } from './timestamps.js';

/** One series of an instant query result; a scalar result is one series without labels. */
export interface QuerySample {
  labels: Record<string, string>;
  /** The sample value; NaN and ±Infinity are kept as they are. */
  value: number;
}

export interface PrometheusClientOptions {
  /** Per request. Default 5 s. */
  timeoutMs?: number;
  /** How long rule durations and external labels are cached. Default 60 s. */
  cacheTtlMs?: number;
  /** Clock for the caches (tests). Default Date.now. */
  now?: () => number;
  /**
   * Prometheus's `global.external_labels`, which it adds to every alert it sends to
   * Alertmanager, so that alerts polled from `/api/v1/alerts` get the same labels (and so the
   * same fingerprint) as Alertmanager shows. Default: read from `/api/v1/status/config`
   * (no external labels if that cannot be read).
   */
  externalLabels?: Record<string, string>;
  /**
   * Answer every `alerts()` call within this many ms of a request with that request's answer
   * (see {@link SharedPoll}). Default 0: every call asks.
   */
  shareAlertsForMs?: number;
}

export const RULES_CACHE_TTL_MS = 60_000;

const labelSet = z.record(z.string(), z.string());
const sampleValue = z.tuple([z.number(), z.string()]);

const queryResponse = z.object({
  data: z.object({
    resultType: z.string(),
    result: z.unknown(),
  }),
});
const vectorResult = z.array(z.object({ metric: labelSet, value: sampleValue }));

const alertsResponse = z.object({
  data: z.object({
    alerts: z.array(
      z.object({
        labels: labelSet,
        state: z.string(),
        activeAt: z.string().optional(),
      }),
    ),
  }),
});

const rulesResponse = z.object({
  data: z.object({
    groups: z.array(
      z.object({
        rules: z.array(
          z.object({
            type: z.string().optional(),
            name: z.string(),
            /** Seconds; absent in old versions when 0. */
            duration: z.number().optional(),
          }),
        ),
      }),
    ),
  }),
});

const configResponse = z.object({ data: z.object({ yaml: z.string() }) });

interface Cached<T> {
  at: number;
  value: T;
}

/** A PromQL sample value as the API writes it: `"1.5"`, `"NaN"`, `"+Inf"`, `"-Inf"`. */
export function parseSampleValue(text: string): number {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
    default: {
      const value = text.trim() === '' ? NaN : Number(text);
      return value;
    }
  }
}

export class PrometheusClient {
  readonly #http: JsonHttpClient;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #fixedExternalLabels: Record<string, string> | undefined;
  #rules: Cached<Map<string, number>> | undefined;
  #rulesInFlight: Promise<Map<string, number>> | undefined;
  #external: Cached<Record<string, string>> | undefined;
  #externalInFlight: Promise<Record<string, string>> | undefined;
  readonly #alerts: SharedPoll<AlertObservation[]>;

  constructor(endpoint: HttpEndpoint, options: PrometheusClientOptions = {}) {
    this.#http = new JsonHttpClient(endpoint, {
      source: 'prometheus',
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    });
    this.#ttlMs = options.cacheTtlMs ?? RULES_CACHE_TTL_MS;
    this.#now = options.now ?? Date.now;
    this.#fixedExternalLabels = options.externalLabels;
    this.#alerts = new SharedPoll(options.shareAlertsForMs ?? 0);
  }

  /** The endpoint as shown in messages (no credentials). */
  get displayUrl(): string {
    return this.#http.displayUrl;
  }

  /**
   * Instant query, evaluated at `at` (ms since the epoch, Prometheus's clock) or at Prometheus's
   * now. A vector gives one entry per series, a scalar one entry without labels. A range vector
   * or string result is refused (SignalUnavailable, not retryable).
   */
  async query(expr: string, at?: number): Promise<QuerySample[]> {
    const body = await this.#http.get('/api/v1/query', {
      query: expr,
      time: at === undefined ? undefined : (at / 1000).toFixed(3),
    });
    const { resultType, result } = this.#parse(queryResponse, body, '/api/v1/query').data;
    switch (resultType) {
      case 'vector':
        return this.#parse(vectorResult, result, '/api/v1/query').map((series) => ({
          labels: series.metric,
          value: parseSampleValue(series.value[1]),
        }));
      case 'scalar': {
        const [, value] = this.#parse(sampleValue, result, '/api/v1/query');
        return [{ labels: {}, value: parseSampleValue(value) }];
      }
      default:
        throw new SignalUnavailable(
          'prometheus',
          `Prometheus at ${this.#http.displayUrl}: the query ${JSON.stringify(expr)} returns a ${resultType}, not an instant vector or scalar` +
            (resultType === 'matrix'
              ? ' (wrap a range selector in a function such as rate())'
              : ''),
          { retryable: false },
        );
    }
  }

  /**
   * Prometheus's clock, in ms: `time()` evaluated at the query's default evaluation time, which
   * is the server's current time when it handles the request (millisecond precision).
   */
  async serverTime(): Promise<number> {
    const body = await this.#http.get('/api/v1/query', { query: 'time()' });
    const { resultType, result } = this.#parse(queryResponse, body, '/api/v1/query').data;
    if (resultType !== 'scalar') {
      throw new SignalUnavailable(
        'prometheus',
        `Prometheus at ${this.#http.displayUrl}: time() returned a ${resultType}, not a scalar`,
      );
    }
    const [timestamp] = this.#parse(sampleValue, result, '/api/v1/query');
    return Math.round(timestamp * 1000);
  }

  /**
   * Pending and firing alerts from `/api/v1/alerts`, with Prometheus's external labels added and
   * the fingerprint Alertmanager would compute for them. `forMs` comes from {@link ruleDurations}
   * when the rules could be read; a failure there does not fail this call.
   */
  alerts(observedAt: number): Promise<AlertObservation[]> {
    return this.#alerts.get(observedAt, (at) => this.#fetchAlerts(at));
  }

  async #fetchAlerts(observedAt: number): Promise<AlertObservation[]> {
    const [body, durations, external] = await Promise.all([
      this.#http.get('/api/v1/alerts'),
      this.ruleDurations().catch(() => new Map<string, number>()),
      this.externalLabels(),
    ]);
    const { alerts } = this.#parse(alertsResponse, body, '/api/v1/alerts').data;
    const observations: AlertObservation[] = [];
    for (const alert of alerts) {
      if (alert.state !== 'pending' && alert.state !== 'firing') continue;
      const labels = { ...external, ...alert.labels };
      const activeAt = parseSourceTime(alert.activeAt);
      const forMs = durations.get(labels['alertname'] ?? '');
      observations.push({
        source: 'prometheus',
        fingerprint: alertFingerprint(labels),
        labels,
        state: alert.state,
        ...(activeAt !== undefined && { activeAt }),
        ...(forMs !== undefined && { forMs }),
        observedAt,
      });
    }
    return observations;
  }

  /**
   * Alert name → the rule's `for` in ms, from `/api/v1/rules?type=alert`, cached for 60 s. A
   * name used by several rules with different `for`s is left out (its alerts then fall back to
   * the next timestamp source).
   */
  async ruleDurations(): Promise<Map<string, number>> {
    const now = this.#now();
    if (this.#rules !== undefined && now - this.#rules.at < this.#ttlMs) return this.#rules.value;
    this.#rulesInFlight ??= this.#fetchRuleDurations()
      .then((value) => {
        this.#rules = { at: now, value };
        return value;
      })
      .finally(() => {
        this.#rulesInFlight = undefined;
      });
    return this.#rulesInFlight;
  }

  /**
   * Prometheus's `global.external_labels` (the option if given, else read from
   * `/api/v1/status/config` and cached like the rules; empty when it cannot be read).
   */
  async externalLabels(): Promise<Record<string, string>> {
    if (this.#fixedExternalLabels !== undefined) return this.#fixedExternalLabels;
    const now = this.#now();
    if (this.#external !== undefined && now - this.#external.at < this.#ttlMs) {
      return this.#external.value;
    }
    this.#externalInFlight ??= this.#fetchExternalLabels()
      .then(
        (value) => {
          this.#external = { at: now, value };
          return value;
        },
        (error: unknown) => {
          // Answered but refused (e.g. an API proxy that hides the config): do not ask again
          // before the TTL. Unreachable: ask again next time.
          if (error instanceof SignalUnavailable && error.status !== undefined) {
            this.#external = { at: now, value: {} };
          }
          return {};
        },
      )
      .finally(() => {
        this.#externalInFlight = undefined;
      });
    return this.#externalInFlight;
  }

  /** Drops kept-alive connections. */
  close(): void {
    this.#http.close();
  }

  async #fetchRuleDurations(): Promise<Map<string, number>> {
    const body = await this.#http.get('/api/v1/rules', { type: 'alert' });
    const { groups } = this.#parse(rulesResponse, body, '/api/v1/rules').data;
    const durations = new Map<string, number>();
    const ambiguous = new Set<string>();
    for (const group of groups) {
      for (const rule of group.rules) {
        if (rule.type !== undefined && rule.type !== 'alerting') continue;
        const ms = Math.round((rule.duration ?? 0) * 1000);
        const known = durations.get(rule.name);
        if (known !== undefined && known !== ms) ambiguous.add(rule.name);
        durations.set(rule.name, ms);
      }
    }
    for (const name of ambiguous) durations.delete(name);
    return durations;
  }

  async #fetchExternalLabels(): Promise<Record<string, string>> {
    const body = await this.#http.get('/api/v1/status/config');
    const { yaml } = this.#parse(configResponse, body, '/api/v1/status/config').data;
    const config: unknown = parseYaml(yaml);
    const parsed = z
      .object({ global: z.object({ external_labels: labelSet.nullish() }).nullish() })
      .safeParse(config);
    return (parsed.success ? parsed.data.global?.external_labels : undefined) ?? {};
  }

  #parse<T>(schema: z.ZodType<T>, body: unknown, path: string): T {
    const result = schema.safeParse(body);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new SignalUnavailable(
      'prometheus',
      `Prometheus at ${this.#http.displayUrl} (${path}) answered with an unexpected document${where}: ${issue?.message ?? 'invalid'}`,
    );
  }
}
