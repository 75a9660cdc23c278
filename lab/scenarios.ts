import { formatDuration, parseDuration } from '../src/duration.js';
import { scenarioSchema, type Scenario } from '../src/scenario/schema.js';
import { capRangeSelectors } from './pipeline/rules.js';

export interface LabScenarioOptions {
  /** Durations are divided by this, as the lab rules divide `for:`; default 60 (2m → 2s). */
  timeScale?: number;
  /**
   * Traffic, signal and guard PromQL range windows are capped at this; default 5s (five lab
   * scrapes). The shorter the window, the sooner a recovery shows after the revert.
   */
  maxWindow?: string;
  /** The lab's ingress gateway: HTTP probes of the gateway's hosts are sent there. */
  gateway?: { httpsUrl: string; caFile: string };
  /** Run responders-mode scenarios as auto (hold, then revert): for demos nobody responds to. */
  respondersAsAuto?: boolean;
}

/** Floors under the scaled durations, so the lab's alerts (`for:` ÷ 60) can still fire in time. */
const FLOORS = {
  interval: 1_000,
  sustainFor: 3_000,
  holdFor: 12_000,
  detectionTimeout: 45_000,
  recoveryTimeout: 60_000,
  objective: 5_000,
  /** Revert, the PromQL window and sustainFor, after the hold. */
  recoveryAfterHold: 30_000,
};

/**
 * A catalogue scenario made to run against the mesh lab in seconds rather than minutes — the
 * same fault, alerts and queries, with every duration scaled like the lab's alert rules and
 * PromQL windows shortened, and HTTP probes sent to the lab's gateway (with the gateway's host
 * kept as Host header and TLS server name, as a client resolving it would). Used by the demo
 * and the end-to-end tests.
 */
export function labScenario(scenario: Scenario, options: LabScenarioOptions = {}): Scenario {
  const scale = options.timeScale ?? 60;
  const maxWindowMs = parseDuration(options.maxWindow ?? '5s') ?? 5_000;
  const shorten = (text: string, floor: number) =>
    formatDuration(Math.max(floor, Math.round((parseDuration(text) ?? floor) / scale)));
  const promql = (expr: string) => capRangeSelectors(expr, maxWindowMs);
  const spec = structuredClone(scenario.spec);
  spec.detection.timeout = shorten(spec.detection.timeout, FLOORS.detectionTimeout);
  spec.traffic.interval = shorten(spec.traffic.interval, FLOORS.interval);
  spec.traffic.sustainFor = shorten(spec.traffic.sustainFor, FLOORS.sustainFor);
  if (spec.traffic.promql !== undefined) spec.traffic.promql = promql(spec.traffic.promql);
  if (spec.traffic.http && options.gateway) {
    const gateway = new URL(options.gateway.httpsUrl);
    spec.traffic.http = {
      ...spec.traffic.http,
      connectTo: `${gateway.hostname}:${gateway.port}`,
      tls: { caFile: options.gateway.caFile, insecure: false },
    };
  }
  spec.recovery.holdFor = shorten(spec.recovery.holdFor, FLOORS.holdFor);
  if (options.respondersAsAuto && spec.recovery.mode === 'responders') {
    spec.recovery.mode = 'auto';
    spec.recovery.holdFor = formatDuration(FLOORS.holdFor);
  }
  spec.recovery.timeout = shorten(spec.recovery.timeout, FLOORS.recoveryTimeout);
  spec.recovery.signals = spec.recovery.signals.map((s) => ({ ...s, promql: promql(s.promql) }));
  spec.guards = spec.guards.map((g) => ({
    ...g,
    promql: promql(g.promql),
    for: shorten(g.for, 0),
  }));
  if (spec.objectives.timeToDetect !== undefined)
    spec.objectives.timeToDetect = shorten(spec.objectives.timeToDetect, FLOORS.objective);
  if (spec.objectives.timeToRecover !== undefined) {
    // Traffic cannot come back before the revert: the hold floor must not fail the objective.
    const holdMs = spec.recovery.mode === 'auto' ? (parseDuration(spec.recovery.holdFor) ?? 0) : 0;
    spec.objectives.timeToRecover = formatDuration(
      Math.max(
        parseDuration(shorten(spec.objectives.timeToRecover, FLOORS.objective)) ?? 0,
        holdMs + FLOORS.recoveryAfterHold,
      ),
    );
  }
  return scenarioSchema.parse({ ...scenario, spec });
}
