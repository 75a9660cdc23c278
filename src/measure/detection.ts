/**
 * Detection (SPEC §6): which expected alert fired first at or after t0, and when.
 *
 * Boundaries chosen here: an alert that fired exactly at t0 counts (the SPEC says "at or after"),
 * and one that fired exactly at t0 + timeout is still in time.
 */
import { formatMatcher, matchesAlert, type AlertExpectation } from '../scenario/matchers.js';
import { toToolClock } from './clock-offset.js';
import { formatElapsed } from './format.js';
import type {
  AlertObservation,
  AlertSource,
  AlertTimeline,
  Detection,
  DetectionInput,
  TimestampSource,
} from './types.js';

const FROM_ALERTMANAGER: ReadonlySet<AlertSource> = new Set(['webhook', 'alertmanager']);

function earliest(values: Iterable<number | undefined>): number | undefined {
  let min: number | undefined;
  for (const value of values) {
    if (value !== undefined && Number.isFinite(value) && (min === undefined || value < min)) {
      min = value;
    }
  }
  return min;
}

function firing(
  observations: readonly AlertObservation[],
  offsetMs: number,
): { at: number; source: TimestampSource } | undefined {
  // A resolved notification still carries the startsAt of the firing it ends.
  const startsAt = earliest(
    observations
      .filter((o) => FROM_ALERTMANAGER.has(o.source) && o.state !== 'pending')
      .map((o) => o.startsAt),
  );
  if (startsAt !== undefined) return { at: toToolClock(startsAt, offsetMs), source: 'startsAt' };

  const activeAtPlusFor = earliest(
    observations
      .filter((o) => o.source === 'prometheus' && o.state === 'firing')
      .map((o) =>
        o.activeAt !== undefined && o.forMs !== undefined ? o.activeAt + o.forMs : undefined,
      ),
  );
  if (activeAtPlusFor !== undefined) {
    return { at: toToolClock(activeAtPlusFor, offsetMs), source: 'activeAt+for' };
  }

  const observed = earliest(
    observations.filter((o) => o.state === 'firing').map((o) => o.observedAt),
  );
  return observed === undefined ? undefined : { at: observed, source: 'observed' };
}

function timeline(group: readonly AlertObservation[], offsetMs: number): AlertTimeline {
  const first = group[0] as AlertObservation;
  const fired = firing(group, offsetMs);
  const pendingAt = earliest(
    group
      .filter((o) => o.source === 'prometheus' && o.state === 'pending')
      .map((o) => (o.activeAt === undefined ? o.observedAt : toToolClock(o.activeAt, offsetMs))),
  );
  const endsAt = earliest(group.filter((o) => o.state === 'resolved').map((o) => o.endsAt));
  return {
    fingerprint: first.fingerprint,
    alertname: first.labels['alertname'] ?? '',
    labels: { ...first.labels },
    ...(fired && { firedAt: fired.at, firedAtSource: fired.source }),
    ...(pendingAt !== undefined && { pendingAt }),
    ...(endsAt !== undefined && { resolvedAt: toToolClock(endsAt, offsetMs) }),
    sources: [...new Set(group.map((o) => o.source))].sort(),
  };
}

function byTime(a: AlertTimeline, b: AlertTimeline): number {
  const at = (t: AlertTimeline) => t.firedAt ?? t.pendingAt ?? Infinity;
  return (
    at(a) - at(b) || (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0)
  );
}

/**
 * Merges observations into one timeline per alert, by fingerprint: a webhook push and an API poll
 * of the same alert are one alert. Source timestamps are moved to the tool's clock.
 *
 * A timeline is one alert's first episode: `firedAt` and `resolvedAt` are the earliest seen, so an
 * alert that fired before t0, resolved and fired again stays pre-existing (the baseline refuses to
 * start while an expected alert fires, so this is rare).
 */
export function mergeAlerts(
  observations: readonly AlertObservation[],
  clockOffsetMs: number,
): AlertTimeline[] {
  const groups = new Map<string, AlertObservation[]>();
  for (const observation of observations) {
    const group = groups.get(observation.fingerprint);
    if (group) group.push(observation);
    else groups.set(observation.fingerprint, [observation]);
  }
  return [...groups.values()].map((group) => timeline(group, clockOffsetMs)).sort(byTime);
}

function isExpected(expected: readonly AlertExpectation[], alert: AlertTimeline): boolean {
  return expected.some((expectation) => matchesAlert(expectation, alert.labels));
}

/** An expectation as a reader recognises it: `KubePodCrashLooping{namespace="istio-system"}`. */
export function describeExpectation(expectation: AlertExpectation): string {
  const matchers = [
    ...Object.entries(expectation.labels ?? {}).map(([name, value]) =>
      formatMatcher({ name, type: '=', value }),
    ),
    ...(expectation.matchers ?? []).map(formatMatcher),
  ];
  return matchers.length === 0
    ? expectation.alertname
    : `${expectation.alertname}{${matchers.join(',')}}`;
}

const SOURCE_WORDS: Record<TimestampSource, string> = {
  startsAt: "Alertmanager's startsAt",
  'activeAt+for': "Prometheus's activeAt + for",
  observed: 'when the tool first saw it firing',
};

export function detect(input: DetectionInput): Detection {
  const { t0, expected, timeoutMs, now } = input;
  const alerts = mergeAlerts(input.observations, input.clockOffsetMs);
  const fired = alerts.filter(
    (a): a is AlertTimeline & { firedAt: number } => a.firedAt !== undefined,
  );
  const preexisting = fired.filter((a) => a.firedAt < t0 && isExpected(expected, a));
  const collateral = fired.filter((a) => a.firedAt >= t0 && !isExpected(expected, a));
  const first = fired.find((a) => a.firedAt >= t0 && isExpected(expected, a));
  const deadline = t0 + timeoutMs;
  const base = { collateral, preexisting };

  if (first !== undefined && first.firedAt <= deadline) {
    const timeToDetectMs = first.firedAt - t0;
    return {
      ...base,
      status: 'detected',
      at: first.firedAt,
      timeToDetectMs,
      alert: first,
      ...(first.firedAtSource && { timestampSource: first.firedAtSource }),
      reason: `${first.alertname} fired ${formatElapsed(timeToDetectMs)} after injection (timestamp: ${SOURCE_WORDS[first.firedAtSource ?? 'observed']})`,
    };
  }
  if (input.unavailable !== undefined) {
    return {
      ...base,
      status: 'unknown',
      reason: `alert sources unavailable: ${input.unavailable}`,
    };
  }
  if (first !== undefined) {
    // Kept for the report, but without timeToDetectMs: a late alert is not a detection time.
    return {
      ...base,
      status: 'undetected',
      at: first.firedAt,
      alert: first,
      ...(first.firedAtSource && { timestampSource: first.firedAtSource }),
      reason: `first expected alert (${first.alertname}) fired ${formatElapsed(first.firedAt - t0)} after injection, after the ${formatElapsed(timeoutMs)} timeout`,
    };
  }
  const wanted = expected.map(describeExpectation).join(', ');
  const already =
    preexisting.length === 0
      ? ''
      : `; already firing before injection, so not counted: ${preexisting.map((a) => a.alertname).join(', ')}`;
  if (now < deadline) {
    return {
      ...base,
      status: 'pending',
      reason: `no expected alert (${wanted}) has fired yet; waiting up to the ${formatElapsed(timeoutMs)} timeout${already}`,
    };
  }
  return {
    ...base,
    status: 'undetected',
    reason: `no expected alert (${wanted}) fired within the ${formatElapsed(timeoutMs)} timeout${already}`,
  };
}

/**
 * Expected alerts firing now, judged by each alert's latest observation, so an alert that fired
 * and resolved does not fail the baseline. SPEC §5: the run must not start while one fires.
 */
export function baselineAlerts(
  expected: readonly AlertExpectation[],
  observations: readonly AlertObservation[],
  clockOffsetMs: number,
): AlertTimeline[] {
  const latest = new Map<string, AlertObservation>();
  for (const observation of observations) {
    const seen = latest.get(observation.fingerprint);
    if (seen === undefined || observation.observedAt >= seen.observedAt) {
      latest.set(observation.fingerprint, observation);
    }
  }
  return mergeAlerts(observations, clockOffsetMs).filter(
    (alert) => latest.get(alert.fingerprint)?.state === 'firing' && isExpected(expected, alert),
  );
}
