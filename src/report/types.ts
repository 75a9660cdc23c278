/**
 * The run report (SPEC §7): what one run produced, as a versioned JSON document, and the input
 * every renderer (JSON, Markdown, HTML, JUnit) reads.
 */
import type { Finding, Verification } from '../faults/fault.js';
import type {
  AlertTimeline,
  DetectionStatus,
  ObjectiveOutcome,
  ObjectiveResult,
  Recovery,
  SignalRecovery,
  TimestampSource,
  TrafficSample,
  VerdictOutcome,
} from '../measure/types.js';
import type { FinalState, RunState } from '../run/lifecycle.js';
import type { SignalSampleRecord } from '../run/store.js';
import type {
  RunOptions,
  RunRecord,
  RunTarget,
  SamplesSummary,
  StopReason,
  TimelineEvent,
} from '../run/types.js';

/** Everything a report is made from: the run record and what is stored beside it. */
export interface ReportInput {
  record: RunRecord;
  events: TimelineEvent[];
  samples: TrafficSample[];
  signalSamples: SignalSampleRecord[];
}

/** Bumped whenever the report's shape changes incompatibly. */
export const REPORT_VERSION = 1;

export const REPORT_FORMATS = ['json', 'md', 'html', 'junit'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function isReportFormat(value: unknown): value is ReportFormat {
  return typeof value === 'string' && (REPORT_FORMATS as readonly string[]).includes(value);
}

/** What each format is served as. */
export const REPORT_CONTENT_TYPES: Record<ReportFormat, string> = {
  json: 'application/json',
  md: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
  junit: 'application/xml; charset=utf-8',
};

/** The file extension of a report saved in each format. */
export const REPORT_EXTENSIONS: Record<ReportFormat, string> = {
  json: 'json',
  md: 'md',
  html: 'html',
  junit: 'xml',
};

/** A timeline event with its offset from t0 (null when the run never injected). */
export type ReportEvent = TimelineEvent & { offsetMs: number | null };

/** One point of a chart series: `at` on the tool's clock, `offsetMs` from t0 when known. */
export interface SeriesPoint {
  at: number;
  offsetMs: number | null;
  value: number | null;
  detail?: string;
}

export interface SignalSeriesPoint {
  at: number;
  offsetMs: number | null;
  holds: boolean | null;
}

/** A planned write without its body: what dry-run would touch, never the content it carries. */
export interface ReportPlannedWrite {
  verb: 'create' | 'replace' | 'delete';
  kind: string;
  name: string;
  namespace?: string;
}

/** How traffic success was measured; an HTTP probe's URL keeps scheme, host and path only. */
export type ReportTraffic = {
  threshold: number;
  interval: string;
  sustainFor: string;
} & ({ kind: 'promql'; promql: string } | { kind: 'http'; url: string; method: string });

export interface ReportTimes {
  /** Epoch ms (tool clock) or null. */
  t0: number | null;
  injectStartedAt: number | null;
  revertedAt: number | null;
  impactStart: number | null;
  detectedAt: number | null;
  recoveredAt: number | null;
  /** Seconds, or null when not measured / not reached. */
  timeToDetect: number | null;
  /** impact start − t0, seconds. */
  timeToImpact: number | null;
  timeToRecover: number | null;
  /** recovery − revert, seconds (negative: traffic recovered before the revert). */
  recoveryAfterRevert: number | null;
}

export interface ReportDetection {
  status: DetectionStatus;
  at: number | null;
  timeToDetect: number | null;
  alert: AlertTimeline | null;
  timestampSource: TimestampSource | null;
  reason: string | null;
  /** Expected alerts already firing before t0 (they do not count). */
  preexisting: AlertTimeline[];
}

export interface ReportObjective extends ObjectiveResult {
  /** e.g. `timeToDetect ≤ 5m`: how the objective reads in tables and JUnit. */
  title: string;
}

export interface ReportVerdict {
  outcome: VerdictOutcome;
  objectives: ReportObjective[];
}

export interface ReportSignal extends SignalRecovery {
  timeToRecover: number | null;
  series: SignalSeriesPoint[];
}

export interface RunReport {
  reportVersion: typeof REPORT_VERSION;
  toolVersion: string;
  run: {
    id: string;
    parentId: string | null;
    createdBy: string;
    createdAt: number;
    updatedAt: number;
    state: RunState;
    outcome: FinalState | null;
    summary: string | null;
    stop: StopReason | null;
    error: string | null;
  };
  scenario: {
    name: string;
    description: string | null;
    runbook: string | null;
    labels: Record<string, string>;
  };
  target: RunTarget;
  fault: { type: string; params: unknown };
  options: RunOptions;
  /** The scenario's measurement settings, as written. */
  measurement: {
    expectedAlerts: string[];
    detectionTimeout: string;
    recoveryMode: 'auto' | 'responders';
    objectives: { timeToDetect: string | null; timeToRecover: string | null };
    traffic: ReportTraffic;
  };
  preflightFindings: Finding[];
  timeline: ReportEvent[];
  times: ReportTimes;
  detection: ReportDetection | null;
  recovery: (Recovery & { timeToRecover: number | null }) | null;
  signals: ReportSignal[];
  collateralAlerts: AlertTimeline[];
  verdict: ReportVerdict | null;
  samplesSummary: SamplesSummary | null;
  series: { successRatio: SeriesPoint[]; threshold: number };
  revertVerification: Verification | null;
  clockOffset: { offsetMs: number; roundTripMs: number } | { unknown: string } | null;
  measurementLagMs: number | null;
  /** Dry runs only. */
  plannedWrites: ReportPlannedWrite[] | null;
}

export type { ObjectiveOutcome };
