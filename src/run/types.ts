import type { Finding, PlannedWrite, Verification } from '../faults/fault.js';
import type {
  AlertTimeline,
  Detection,
  Recovery,
  SignalRecovery,
  TrafficSample,
  Verdict,
} from '../measure/types.js';
import type { Scenario } from '../scenario/schema.js';
import type { FinalState, RunState } from './lifecycle.js';

/** Bumped whenever the stored shape changes incompatibly; readers refuse newer versions. */
export const RUN_SCHEMA_VERSION = 1;

/** What a second run on a busy target does: wait for the target, or be refused at once. */
export type TargetBusyPolicy = 'wait' | 'refuse';

export interface RunOptions {
  dryRun: boolean;
  allowMeshWide: boolean;
  onTargetBusy: TargetBusyPolicy;
}

/** Who asked for something: an API token's name, `scheduler`, `gameday-worker`… */
export type Actor = string;

export interface RunTarget {
  /** kubeconfig context; '' = the worker's current context. */
  context: string;
  namespace: string;
}

/** Why a run stopped early, for the report. */
export interface StopReason {
  kind: 'abort' | 'halt' | 'guard' | 'worker lost' | 'lease lost' | 'timeout';
  message: string;
  by?: Actor;
  at: number;
}

export const RESPONDER_EVENT_TYPES = ['acknowledged', 'diagnosed', 'mitigated', 'note'] as const;
export type ResponderEventType = (typeof RESPONDER_EVENT_TYPES)[number];

/** One entry of a run's timeline. `at` is ms since the epoch on the tool's clock. */
export type TimelineEvent =
  | { at: number; type: 'state'; state: RunState; message?: string }
  | { at: number; type: 'finding'; finding: Finding }
  | { at: number; type: 'inject'; phase: 'started' | 'accepted'; message?: string }
  | { at: number; type: 'revert'; phase: 'started' | 'accepted' | 'failed'; message?: string }
  | {
      at: number;
      type: 'alert';
      state: 'pending' | 'firing' | 'resolved';
      alertname: string;
      fingerprint: string;
      labels: Record<string, string>;
      source: string;
      expected: boolean;
    }
  | { at: number; type: 'impact' | 'recovery'; message: string }
  | { at: number; type: 'guard'; name: string; value: number | null; message: string }
  | { at: number; type: 'stop'; reason: StopReason }
  | { at: number; type: 'responder'; event: ResponderEventType; author: string; text?: string }
  | { at: number; type: 'warning'; message: string };

export interface SamplesSummary {
  count: number;
  noData: number;
  belowThreshold: number;
  min?: number;
  max?: number;
  mean?: number;
  first?: number;
  last?: number;
}

/** The measured outcome (SPEC §6/§7), filled in as the run proceeds. */
export interface RunResult {
  /** t0: the inject write accepted by the API server (ms since the epoch, tool clock). */
  t0?: number;
  /** When that write was sent. */
  injectStartedAt?: number;
  /** When the revert's last write was accepted. */
  revertedAt?: number;
  /** Prometheus clock − tool clock, and the round trip it was measured with. */
  clockOffset?: { offsetMs: number; roundTripMs: number } | { unknown: string };
  /** Largest range window of the traffic PromQL: how far its ratio lags reality. */
  measurementLagMs?: number;
  detection?: Detection;
  recovery?: Recovery;
  signals?: SignalRecovery[];
  collateralAlerts?: AlertTimeline[];
  /** time to detect in seconds, null when undetected or unknown. */
  timeToDetect?: number | null;
  /** time to recover in seconds, from t0; null when not recovered or unknown. */
  timeToRecover?: number | null;
  /** recovery − revert, seconds. */
  recoveryAfterRevert?: number | null;
  verdict?: Verdict;
  samples?: SamplesSummary;
  revertVerification?: Verification;
  /** Dry-run only: the writes inject would send. */
  plannedWrites?: PlannedWrite[];
}

export interface RunRecord {
  schemaVersion: typeof RUN_SCHEMA_VERSION;
  id: string;
  /** A GameDay's child runs point at their parent. */
  parentId?: string;
  scenario: Scenario;
  /** The overrides the run was created with (already applied to `scenario`). */
  overrides?: Record<string, unknown>;
  target: RunTarget;
  options: RunOptions;
  createdBy: Actor;
  createdAt: number;
  updatedAt: number;
  state: RunState;
  /**
   * What the cluster should hold, saved before the writes that make it so: `present` before
   * the inject, `absent` before the revert. A run taken over with `present` is reverted.
   */
  desiredFault?: 'present' | 'absent';
  /** Set when the run ended. */
  outcome?: FinalState;
  /** One line for lists and the CLI: why the run ended as it did. */
  summary?: string;
  stop?: StopReason;
  preflightFindings: Finding[];
  result: RunResult;
  /** Internal failure message, safe to show (no stack). */
  error?: string;
  /** The worker that last held the run's lease. */
  worker?: string;
  /** While the run is under way: what it waits for now, for people following it. */
  waiting?: Waiting;
  toolVersion: string;
}

/** What a run in progress waits for, and when that wait ends at the latest (ms since the epoch). */
export interface Waiting {
  /** `the responders to fix it`, `the 1m PromQL window to cover the recovery`… */
  for: string;
  until?: number;
}

export type { TrafficSample };
