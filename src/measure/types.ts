/**
 * The measurement contract (SPEC §6). Signal adapters (src/signals) turn what Prometheus,
 * Alertmanager and probes say into these observations; the pure functions of src/measure turn
 * observations into times to detect and recover. All times are milliseconds since the epoch on
 * the tool's clock unless a field says otherwise.
 */
import type { AlertExpectation } from '../scenario/matchers.js';

/** The tool's clock. Measurement code never reads Date.now() itself. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export type AlertSource = 'webhook' | 'alertmanager' | 'prometheus';

/**
 * One sighting of one alert by one source. Timestamps from a source (`startsAt`, `activeAt`,
 * `endsAt`) are on that source's clock (Prometheus's; Alertmanager keeps Prometheus's
 * `startsAt`), so they are corrected by the measured clock offset before use.
 */
export interface AlertObservation {
  source: AlertSource;
  /**
   * Alertmanager's fingerprint of the label set (16 hex digits); for Prometheus alerts the
   * adapter computes the same one from the labels (see `alertFingerprint`).
   */
  fingerprint: string;
  labels: Record<string, string>;
  /** Prometheus: pending|firing. Alertmanager: firing (active/suppressed) or resolved. */
  state: 'pending' | 'firing' | 'resolved';
  /** Alertmanager (webhook or API v2): when the rule switched to firing, source clock. */
  startsAt?: number;
  /** Prometheus /api/v1/alerts: when the alert went pending, source clock. */
  activeAt?: number;
  /** The alerting rule's `for`, when known (from Prometheus /api/v1/rules). */
  forMs?: number;
  /** Alertmanager: set once resolved, source clock. */
  endsAt?: number;
  /** When the tool received this observation, tool clock. */
  observedAt: number;
}

/** Which rule of SPEC §6's precedence gave a detection its timestamp. */
export type TimestampSource = 'startsAt' | 'activeAt+for' | 'observed';

/** One alert, merged across sources and polls by fingerprint. */
export interface AlertTimeline {
  fingerprint: string;
  alertname: string;
  labels: Record<string, string>;
  /** Firing time on the tool's clock, by the precedence startsAt → activeAt+for → observed. */
  firedAt?: number;
  firedAtSource?: TimestampSource;
  /** When it was first seen pending (Prometheus), tool clock. */
  pendingAt?: number;
  resolvedAt?: number;
  /** Which sources saw it. */
  sources: AlertSource[];
}

export interface DetectionInput {
  t0: number;
  expected: readonly AlertExpectation[];
  observations: readonly AlertObservation[];
  /** Prometheus clock − tool clock, in ms (positive: Prometheus is ahead). */
  clockOffsetMs: number;
  /** `detection.timeout` in ms. */
  timeoutMs: number;
  /** Evaluation time (tool clock): before t0 + timeout an undetected run is still `pending`. */
  now: number;
  /** Set when no source could be read: detection is `unknown` with this reason. */
  unavailable?: string;
}

export type DetectionStatus = 'detected' | 'undetected' | 'pending' | 'unknown';

export interface Detection {
  status: DetectionStatus;
  /** Detection time, tool clock. */
  at?: number;
  /** at − t0. */
  timeToDetectMs?: number;
  /** The expected alert that detected the fault. */
  alert?: AlertTimeline;
  timestampSource?: TimestampSource;
  reason?: string;
  /** Every alert that fired at or after t0 and matches no expectation. */
  collateral: AlertTimeline[];
  /** Expected alerts already firing before t0 (they do not count as detection). */
  preexisting: AlertTimeline[];
}

/** A traffic success sample: the ratio in [0, 1], or null when there was no data. */
export interface TrafficSample {
  at: number;
  value: number | null;
  /** Probe detail, e.g. `3/5 ok; 2 TLS handshake failures (CERT_HAS_EXPIRED)`. */
  detail?: string;
}

export interface RecoveryInput {
  t0: number;
  /** When the revert was accepted, if it ran. */
  revertedAt?: number;
  samples: readonly TrafficSample[];
  threshold: number;
  sustainForMs: number;
  /** Evaluation time: a sustained window still open at `now` is not yet recovery. */
  now: number;
  unavailable?: string;
}

export type ImpactStatus = 'impact' | 'no impact' | 'unknown';
export type RecoveryStatus = 'recovered' | 'not recovered' | 'no impact' | 'unknown';

export interface Recovery {
  impact: ImpactStatus;
  /** First sample below threshold after t0. */
  impactStart?: number;
  /** Lowest success ratio seen after t0. */
  worstValue?: number;
  status: RecoveryStatus;
  /** Start of the first sustained good window after impact start. */
  at?: number;
  /** at − t0 */
  timeToRecoverMs?: number;
  /** at − revertedAt (negative when traffic recovered before the revert). */
  recoveryAfterRevertMs?: number;
  reason?: string;
}

/** A recovery signal's samples: whether its condition held at each time. */
export interface SignalSample {
  at: number;
  holds: boolean | null;
}

export type SignalStatus = 'recovered' | 'not recovered' | 'unaffected' | 'unknown';

export interface SignalRecovery {
  name: string;
  status: SignalStatus;
  /** First time after t0 the condition stopped holding. */
  brokenAt?: number;
  /** Start of the first sustained holding window after brokenAt. */
  at?: number;
  timeToRecoverMs?: number;
  reason?: string;
}

export type ObjectiveOutcome = 'met' | 'missed' | 'unknown';

export interface ObjectiveResult {
  name: 'timeToDetect' | 'timeToRecover';
  targetMs: number;
  actualMs?: number;
  outcome: ObjectiveOutcome;
  reason: string;
}

export type VerdictOutcome = 'pass' | 'fail' | 'inconclusive';

export interface Verdict {
  outcome: VerdictOutcome;
  objectives: ObjectiveResult[];
}

/** Objective targets in ms (the scenario's `objectives`, parsed); an absent one is not judged. */
export interface ObjectiveTargets {
  timeToDetect?: number;
  timeToRecover?: number;
}

/** One clock probe: the tool's send and receive times around a query of the source's `time()`. */
export interface ClockProbe {
  sentAt: number;
  receivedAt: number;
  /** The source's clock, in ms. */
  serverTime: number;
}

export interface ClockOffset {
  /** Source clock − tool clock (positive: the source is ahead). */
  offsetMs: number;
  /** Round trip of the probe the offset came from; the offset is uncertain by half of it. */
  roundTripMs: number;
}
