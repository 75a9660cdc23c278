import { detect, measureRecovery, measureSignal, mergeAlerts } from '../measure/index.js';
import type {
  AlertObservation,
  Clock,
  Detection,
  Recovery,
  SignalRecovery,
  SignalSample,
  TrafficSample,
} from '../measure/types.js';
import { matchesAlert } from '../scenario/matchers.js';
import { durationMs as durationOf } from '../scenario/primitives.js';
import type { Scenario } from '../scenario/schema.js';
import type { AlertmanagerClient } from '../signals/alertmanager.js';
import type { PrometheusClient } from '../signals/prometheus.js';
import type { RunStore, SignalSampleRecord } from './store.js';
import type { TimelineEvent } from './types.js';

export interface AlertSources {
  prometheus?: PrometheusClient | undefined;
  alertmanager?: AlertmanagerClient | undefined;
}

/** Reads traffic success once; throws SignalUnavailable when it cannot. */
export type TrafficSampler = () => Promise<TrafficSample>;
export type SignalSampler = (name: string) => Promise<SignalSample>;

/** What one source could not do, and since when (tool clock). */
interface Outage {
  since: number;
  reason: string;
}

/**
 * Collects everything a run measures — alert observations by push and poll, traffic samples,
 * recovery-signal samples — storing each in Redis as it arrives, and answers "what do we know
 * so far" with the pure measurement functions of src/measure.
 */
export class RunObserver {
  readonly observations: AlertObservation[] = [];
  readonly samples: TrafficSample[] = [];
  readonly signalSamples = new Map<string, SignalSample[]>();
  readonly #seen = new Set<string>();
  readonly #alertOutages = new Map<string, Outage>();
  /** Alert sources that failed at least once after t0, with the first reason. */
  readonly alertGaps = new Map<string, Outage>();
  #trafficOutage: Outage | undefined;
  #webhookCursor: string;
  #t0: number | undefined;
  clockOffsetMs = 0;

  constructor(
    private readonly runId: string,
    private readonly scenario: Scenario,
    private readonly store: RunStore,
    private readonly sources: AlertSources,
    private readonly traffic: TrafficSampler,
    private readonly signal: SignalSampler | undefined,
    private readonly clock: Clock,
    startedAt: number,
  ) {
    // Webhook notifications are read from the run's start, so none sent meanwhile is missed.
    this.#webhookCursor = String(startedAt);
    for (const s of scenario.spec.recovery.signals) this.signalSamples.set(s.name, []);
  }

  set t0(value: number) {
    this.#t0 = value;
  }

  /** Restores what an earlier attempt stored (used when a worker resumes observing). */
  async load(): Promise<void> {
    this.observations.push(...(await this.store.observations(this.runId)));
    for (const o of this.observations) this.#seen.add(observationKey(o));
    this.samples.push(...(await this.store.samples(this.runId)));
    for (const s of await this.store.signalSamples(this.runId)) {
      this.signalSamples.get(s.name)?.push({ at: s.at, holds: s.holds });
    }
  }

  /** Polls Alertmanager and Prometheus and reads new webhook notifications. */
  async pollAlerts(): Promise<void> {
    const now = this.clock.now();
    const fresh: AlertObservation[] = [];
    const polls: Array<[string, (() => Promise<AlertObservation[]>) | undefined]> = [
      ['Alertmanager', this.sources.alertmanager && (() => this.sources.alertmanager!.alerts(now))],
      ['Prometheus', this.sources.prometheus && (() => this.sources.prometheus!.alerts(now))],
    ];
    await Promise.all(
      polls.map(async ([name, poll]) => {
        if (!poll) return;
        try {
          fresh.push(...(await poll()));
          this.#alertOutages.delete(name);
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err);
          if (!this.#alertOutages.has(name)) this.#alertOutages.set(name, { since: now, reason });
          if (this.#t0 !== undefined && !this.alertGaps.has(name)) {
            this.alertGaps.set(name, { since: now, reason });
          }
        }
      }),
    );
    const pushed = await this.store.webhookAlertsSince(this.#webhookCursor);
    this.#webhookCursor = pushed.last;
    fresh.push(...pushed.observations);
    const added = fresh.filter((o) => {
      const key = observationKey(o);
      if (this.#seen.has(key)) return false;
      this.#seen.add(key);
      return true;
    });
    if (added.length === 0) return;
    this.observations.push(...added);
    await this.store.appendObservations(this.runId, added);
    await this.store.appendEvents(this.runId, this.#alertEvents(added));
  }

  #alertEvents(added: AlertObservation[]): TimelineEvent[] {
    const expected = this.scenario.spec.detection.alerts;
    return added.map((o) => ({
      at: o.observedAt,
      type: 'alert',
      state: o.state,
      alertname: o.labels['alertname'] ?? '',
      fingerprint: o.fingerprint,
      labels: o.labels,
      source: o.source,
      expected: expected.some((e) => matchesAlert(e, o.labels)),
    }));
  }

  /** The sources that cannot be read right now, e.g. `Alertmanager: connect ECONNREFUSED`. */
  alertOutages(): string[] {
    return [...this.#alertOutages].map(([name, o]) => `${name}: ${o.reason}`);
  }

  async sampleTraffic(): Promise<TrafficSample> {
    let sample: TrafficSample;
    try {
      sample = await this.traffic();
      this.#trafficOutage = undefined;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const at = this.clock.now();
      this.#trafficOutage ??= { since: at, reason };
      sample = { at, value: null, detail: `unavailable: ${reason}` };
    }
    this.samples.push(sample);
    await this.store.appendSample(this.runId, sample);
    return sample;
  }

  async sampleSignals(): Promise<void> {
    if (!this.signal) return;
    const records: SignalSampleRecord[] = [];
    for (const name of this.signalSamples.keys()) {
      let sample: SignalSample;
      try {
        sample = await this.signal(name);
      } catch {
        sample = { at: this.clock.now(), holds: null };
      }
      this.signalSamples.get(name)?.push(sample);
      records.push({ name, ...sample });
    }
    await this.store.appendSignalSamples(this.runId, records);
  }

  /**
   * Detection so far. An expected alert counts once any source saw it fire (timestamp by the
   * SPEC §6 precedence). When nothing fired and a source could not be read during the window,
   * the run cannot claim "undetected": it is `unknown`, with the reason.
   */
  detection(t0: number, now: number): Detection {
    const gaps = [...this.alertGaps].map(([name, o]) => `${name} unreachable: ${o.reason}`);
    const noSource = !this.sources.alertmanager && !this.sources.prometheus;
    const unavailable = noSource
      ? 'neither Prometheus nor Alertmanager is configured (PROMETHEUS_URL, ALERTMANAGER_URL)'
      : gaps.length > 0
        ? gaps.join('; ')
        : undefined;
    const result = detect({
      t0,
      expected: this.scenario.spec.detection.alerts,
      observations: this.observations,
      clockOffsetMs: this.clockOffsetMs,
      timeoutMs: durationOf(this.scenario.spec.detection.timeout),
      now,
      ...(unavailable !== undefined && { unavailable }),
    });
    if (result.status === 'undetected' && unavailable !== undefined) {
      return { ...result, status: 'unknown', reason: unavailable };
    }
    // Detection means someone would have been notified. When Alertmanager is configured but
    // could not be read and never confirmed the alert, Prometheus firing alone does not say
    // whether the page went out: report the candidate time, but as unknown.
    const delivery = this.alertGaps.get('Alertmanager');
    const confirmed = result.alert?.sources.some((s) => s === 'webhook' || s === 'alertmanager');
    if (result.status === 'detected' && this.sources.alertmanager && delivery && !confirmed) {
      return {
        ...result,
        status: 'unknown',
        reason: `${result.alert?.alertname ?? 'an expected alert'} fired in Prometheus, but Alertmanager was unreachable (${delivery.reason}), so whether it was delivered is unknown`,
      };
    }
    return result;
  }

  /** Alerts matching an expectation that are firing now (for the baseline). */
  firingExpected(): string[] {
    const merged = mergeAlerts(this.observations, this.clockOffsetMs);
    return merged
      .filter((a) => a.firedAt !== undefined && a.resolvedAt === undefined)
      .filter((a) => this.scenario.spec.detection.alerts.some((e) => matchesAlert(e, a.labels)))
      .map((a) => a.alertname);
  }

  recovery(t0: number, now: number, revertedAt: number | undefined): Recovery {
    const { successThreshold, sustainFor } = this.scenario.spec.traffic;
    return measureRecovery({
      t0,
      ...(revertedAt !== undefined && { revertedAt }),
      samples: this.samples,
      threshold: successThreshold,
      sustainForMs: durationOf(sustainFor),
      now,
      ...(this.#trafficOutage && { unavailable: this.#trafficOutage.reason }),
    });
  }

  signals(t0: number, now: number): SignalRecovery[] {
    const sustainForMs = durationOf(this.scenario.spec.traffic.sustainFor);
    return [...this.signalSamples].map(([name, samples]) =>
      measureSignal(name, samples, t0, sustainForMs, now),
    );
  }
}

/** A new observation is one that says something new: a new alert, state or timestamp. */
function observationKey(o: AlertObservation): string {
  return [o.source, o.fingerprint, o.state, o.startsAt, o.activeAt, o.endsAt].join('|');
}
