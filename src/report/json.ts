/**
 * The versioned JSON report (SPEC §7). Every other format renders from it, so what the
 * Markdown, HTML and JUnit reports say is exactly what the JSON says.
 *
 * Times: instants are epoch milliseconds on the tool's clock; durations in `times` are seconds
 * (null when not measured or not reached), as in the run record.
 */
import type { PlannedWrite } from '../faults/fault.js';
import { objectiveTitle } from './common.js';
import type { ObjectiveResult } from '../measure/types.js';
import type { RunRecord } from '../run/types.js';
import {
  REPORT_VERSION,
  type ReportEvent,
  type ReportInput,
  type ReportObjective,
  type ReportPlannedWrite,
  type ReportSignal,
  type ReportTraffic,
  type RunReport,
} from './types.js';

const seconds = (ms: number | undefined | null): number | null =>
  ms === undefined || ms === null ? null : ms / 1000;

/** Stable sort by `at`: events recorded at the same instant keep their stored order. */
function sortedTimeline(input: ReportInput, t0: number | undefined): ReportEvent[] {
  return input.events
    .map((event, index) => ({ event, index }))
    .sort((a, b) => a.event.at - b.event.at || a.index - b.index)
    .map(({ event }) => ({ ...event, offsetMs: t0 === undefined ? null : event.at - t0 }));
}

/** Kind, name, namespace and verb only: a planned write's body may carry Secret data. */
function plannedWrite(write: PlannedWrite): ReportPlannedWrite {
  return {
    verb: write.verb,
    kind: write.kind,
    name: write.name,
    ...(write.namespace !== undefined && { namespace: write.namespace }),
  };
}

/** Scheme, host and path of a probe URL: no user info, query or fragment (they may hold tokens). */
function safeUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

function traffic(record: RunRecord): ReportTraffic {
  const spec = record.scenario.spec.traffic;
  const common = {
    threshold: spec.successThreshold,
    interval: spec.interval,
    sustainFor: spec.sustainFor,
  };
  if (spec.http !== undefined) {
    return { ...common, kind: 'http', url: safeUrl(spec.http.url), method: spec.http.method };
  }
  return { ...common, kind: 'promql', promql: spec.promql };
}

function signals(input: ReportInput, t0: number | undefined): ReportSignal[] {
  return (input.record.result.signals ?? []).map((signal) => ({
    ...signal,
    timeToRecover: seconds(signal.timeToRecoverMs),
    series: input.signalSamples
      .filter((s) => s.name === signal.name)
      .sort((a, b) => a.at - b.at)
      .map((s) => ({ at: s.at, offsetMs: t0 === undefined ? null : s.at - t0, holds: s.holds })),
  }));
}

function objectives(judged: readonly ObjectiveResult[]): ReportObjective[] {
  return judged.map((o) => ({ ...o, title: objectiveTitle(o) }));
}

export { objectiveTitle };

export function buildReport(input: ReportInput): RunReport {
  const { record } = input;
  const result = record.result;
  const t0 = result.t0;
  const spec = record.scenario.spec;
  const detection = result.detection;
  const recovery = result.recovery;
  const fault = spec.fault;
  return {
    reportVersion: REPORT_VERSION,
    toolVersion: record.toolVersion,
    run: {
      id: record.id,
      parentId: record.parentId ?? null,
      createdBy: record.createdBy,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      state: record.state,
      outcome: record.outcome ?? null,
      summary: record.summary ?? null,
      stop: record.stop ?? null,
      error: record.error ?? null,
    },
    scenario: {
      name: record.scenario.metadata.name,
      description: record.scenario.metadata.description ?? null,
      runbook: record.scenario.metadata.runbook ?? null,
      labels: { ...(record.scenario.metadata.labels ?? {}) },
    },
    target: { context: record.target.context, namespace: record.target.namespace },
    fault: { type: fault.type, params: structuredClone(fault.params) as unknown },
    options: { ...record.options },
    measurement: {
      expectedAlerts: spec.detection.alerts.map((a) => a.alertname),
      detectionTimeout: spec.detection.timeout,
      recoveryMode: spec.recovery.mode,
      objectives: {
        timeToDetect: spec.objectives.timeToDetect ?? null,
        timeToRecover: spec.objectives.timeToRecover ?? null,
      },
      traffic: traffic(record),
    },
    preflightFindings: record.preflightFindings.map((f) => ({ ...f })),
    timeline: sortedTimeline(input, t0),
    times: {
      t0: t0 ?? null,
      injectStartedAt: result.injectStartedAt ?? null,
      revertedAt: result.revertedAt ?? null,
      impactStart: recovery?.impactStart ?? null,
      detectedAt: detection?.status === 'detected' ? (detection.at ?? null) : null,
      recoveredAt: recovery?.status === 'recovered' ? (recovery.at ?? null) : null,
      timeToDetect: result.timeToDetect ?? null,
      timeToImpact:
        t0 !== undefined && recovery?.impactStart !== undefined
          ? (recovery.impactStart - t0) / 1000
          : null,
      timeToRecover: result.timeToRecover ?? null,
      recoveryAfterRevert: result.recoveryAfterRevert ?? null,
    },
    detection:
      detection === undefined
        ? null
        : {
            status: detection.status,
            at: detection.at ?? null,
            timeToDetect: seconds(detection.timeToDetectMs),
            alert: detection.alert ?? null,
            timestampSource: detection.timestampSource ?? null,
            reason: detection.reason ?? null,
            preexisting: detection.preexisting,
          },
    recovery:
      recovery === undefined
        ? null
        : { ...recovery, timeToRecover: seconds(recovery.timeToRecoverMs) },
    signals: signals(input, t0),
    collateralAlerts: result.collateralAlerts ?? detection?.collateral ?? [],
    verdict:
      result.verdict === undefined
        ? null
        : { outcome: result.verdict.outcome, objectives: objectives(result.verdict.objectives) },
    samplesSummary: result.samples ?? null,
    series: {
      threshold: spec.traffic.successThreshold,
      successRatio: [...input.samples]
        .sort((a, b) => a.at - b.at)
        .map((s) => ({
          at: s.at,
          offsetMs: t0 === undefined ? null : s.at - t0,
          value: s.value,
          ...(s.detail !== undefined && { detail: s.detail }),
        })),
    },
    revertVerification: result.revertVerification ?? null,
    clockOffset: result.clockOffset ?? null,
    measurementLagMs: result.measurementLagMs ?? null,
    plannedWrites: result.plannedWrites?.map(plannedWrite) ?? null,
  };
}
