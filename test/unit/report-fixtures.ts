/** Hand-built run records for the report tests (test/unit/report-*.test.ts). */
import type { AlertTimeline, TrafficSample } from '../../src/measure/index.js';
import type { ReportInput } from '../../src/report/index.js';
import type { SignalSampleRecord } from '../../src/run/store.js';
import type { RunRecord, TimelineEvent } from '../../src/run/types.js';
import { scenarioSchema, type ScenarioInput } from '../../src/scenario/schema.js';

export const T0 = 1_700_000_000_000;
export const S = 1_000;
export const at = (seconds: number) => T0 + seconds * S;

export const RUNBOOK_URL = 'https://runbooks.example.com/payments/deny-policy';

export function scenario(overrides: Partial<ScenarioInput['metadata']> = {}) {
  return scenarioSchema.parse({
    apiVersion: 'gameday/v1',
    kind: 'Scenario',
    metadata: {
      name: 'bad-deny-policy',
      description: 'A DENY policy with a typo locks every caller out of payments-api.',
      labels: { team: 'payments', 'failure-mode': 'policy' },
      runbook:
        'SYMPTOMS\n  - 403s from payments-api\nFIX\n  kubectl delete authorizationpolicy -n payments x',
      ...overrides,
    },
    spec: {
      target: { namespace: 'payments' },
      fault: { type: 'deny-policy', params: { rule: 'deny-all' } },
      detection: { alerts: [{ alertname: 'IstioRequestErrors' }], timeout: '5m' },
      traffic: { promql: 'sum(rate(ok[1m])) / sum(rate(all[1m]))', successThreshold: 0.99 },
      recovery: { mode: 'auto', holdFor: '2m', timeout: '10m' },
      objectives: { timeToDetect: '5m', timeToRecover: '2m' },
    },
  });
}

const expectedAlert: AlertTimeline = {
  fingerprint: 'a1b2c3d4e5f60718',
  alertname: 'IstioRequestErrors',
  labels: { alertname: 'IstioRequestErrors', namespace: 'payments', severity: 'page' },
  pendingAt: at(15),
  firedAt: at(42.5),
  firedAtSource: 'startsAt',
  sources: ['prometheus', 'alertmanager', 'webhook'],
};

export const collateralAlert: AlertTimeline = {
  fingerprint: 'ffee000011112222',
  alertname: 'KubePodCrashLooping',
  labels: { alertname: 'KubePodCrashLooping', pod: 'orders-api-7d9f', severity: 'warning' },
  pendingAt: at(20),
  firedAt: at(30),
  firedAtSource: 'activeAt+for',
  resolvedAt: at(150),
  sources: ['prometheus', 'alertmanager'],
};

function baseRecord(): RunRecord {
  return {
    schemaVersion: 1,
    id: 'run-20231114-abc123',
    scenario: scenario(),
    target: { context: 'kind-lab', namespace: 'payments' },
    options: { dryRun: false, allowMeshWide: false, onTargetBusy: 'wait' },
    createdBy: 'ci-token',
    createdAt: at(-60),
    updatedAt: at(200),
    state: 'completed',
    outcome: 'completed',
    preflightFindings: [],
    result: {},
    toolVersion: '0.1.0',
  };
}

const state = (seconds: number, s: RunRecord['state'], message?: string): TimelineEvent => ({
  at: at(seconds),
  type: 'state',
  state: s,
  ...(message !== undefined && { message }),
});

/** One sample every 5 s from `from` to `to` seconds, valued by `value(seconds)`. */
function samples(from: number, to: number, value: (s: number) => number | null): TrafficSample[] {
  const out: TrafficSample[] = [];
  for (let s = from; s <= to; s += 5) out.push({ at: at(s), value: value(s) });
  return out;
}

/** Detected at 42.5 s, impact from 10 s, reverted at 121 s, recovered at 125 s; TTR objective missed. */
export function completedRun(): ReportInput {
  const record: RunRecord = {
    ...baseRecord(),
    summary: 'completed: detected in 42.5s, recovered in 125.0s; verdict fail',
    preflightFindings: [
      { severity: 'warning', message: 'PeerAuthentication in payments is PERMISSIVE' },
      { severity: 'info', message: '3 workloads match the selector' },
    ],
    result: {
      t0: T0,
      injectStartedAt: at(-1),
      revertedAt: at(121),
      clockOffset: { offsetMs: 120, roundTripMs: 30 },
      measurementLagMs: 60_000,
      detection: {
        status: 'detected',
        at: at(42.5),
        timeToDetectMs: 42_500,
        alert: expectedAlert,
        timestampSource: 'startsAt',
        collateral: [collateralAlert],
        preexisting: [],
      },
      recovery: {
        impact: 'impact',
        impactStart: at(10),
        worstValue: 0.4,
        status: 'recovered',
        at: at(125),
        timeToRecoverMs: 125_000,
        recoveryAfterRevertMs: 4_000,
      },
      signals: [
        {
          name: 'xds-pushes',
          status: 'recovered',
          brokenAt: at(5),
          at: at(140),
          timeToRecoverMs: 140_000,
        },
      ],
      collateralAlerts: [collateralAlert],
      timeToDetect: 42.5,
      timeToRecover: 125,
      recoveryAfterRevert: 4,
      verdict: {
        outcome: 'fail',
        objectives: [
          {
            name: 'timeToDetect',
            targetMs: 300_000,
            actualMs: 42_500,
            outcome: 'met',
            reason: 'detected in 42.5s, objective 5m',
          },
          {
            name: 'timeToRecover',
            targetMs: 120_000,
            actualMs: 125_000,
            outcome: 'missed',
            reason: 'recovered in 2m5s, over the objective 2m',
          },
        ],
      },
      samples: { count: 41, noData: 1, belowThreshold: 23, min: 0.4, max: 1, mean: 0.7 },
      revertVerification: {
        state: 'reverted',
        details: ['AuthorizationPolicy payments/gameday-deny is gone'],
      },
    },
  };
  // Stored out of order on purpose: the report sorts by `at`.
  const events: TimelineEvent[] = [
    state(-59, 'preflight'),
    state(-50, 'baseline'),
    state(-2, 'injecting'),
    { at: at(-1), type: 'inject', phase: 'started' },
    { at: at(0), type: 'inject', phase: 'accepted' },
    state(0.1, 'observing'),
    { at: at(10), type: 'impact', message: 'success 40% below the 99% threshold' },
    {
      at: at(15),
      type: 'alert',
      state: 'pending',
      alertname: 'IstioRequestErrors',
      fingerprint: expectedAlert.fingerprint,
      labels: expectedAlert.labels,
      source: 'prometheus',
      expected: true,
    },
    {
      at: at(46),
      type: 'alert',
      state: 'firing',
      alertname: 'IstioRequestErrors',
      fingerprint: expectedAlert.fingerprint,
      labels: expectedAlert.labels,
      source: 'webhook',
      expected: true,
    },
    {
      at: at(45),
      type: 'alert',
      state: 'firing',
      alertname: 'IstioRequestErrors',
      fingerprint: expectedAlert.fingerprint,
      labels: expectedAlert.labels,
      source: 'alertmanager',
      expected: true,
    },
    {
      at: at(30),
      type: 'alert',
      state: 'firing',
      alertname: 'KubePodCrashLooping',
      fingerprint: collateralAlert.fingerprint,
      labels: collateralAlert.labels,
      source: 'alertmanager',
      expected: false,
    },
    {
      at: at(60),
      type: 'responder',
      event: 'acknowledged',
      author: 'alice',
      text: 'looking at payments-api 403s',
    },
    {
      at: at(90),
      type: 'responder',
      event: 'diagnosed',
      author: 'bob',
      text: 'typo in the DENY rule',
    },
    state(120, 'reverting'),
    { at: at(120), type: 'revert', phase: 'started' },
    { at: at(121), type: 'revert', phase: 'accepted' },
    state(122, 'verifying'),
    { at: at(125), type: 'recovery', message: 'success back above the threshold' },
    state(200, 'completed', record.summary),
  ];
  return {
    record,
    events,
    samples: samples(-30, 200, (s) => (s === 60 ? null : s >= 10 && s < 125 ? 0.4 : 1)),
    signalSamples: [
      { name: 'xds-pushes', at: at(0), holds: true },
      { name: 'xds-pushes', at: at(5), holds: false },
      { name: 'xds-pushes', at: at(140), holds: true },
    ] satisfies SignalSampleRecord[],
  };
}

/** No expected alert fired; traffic was never impacted. */
export function undetectedRun(): ReportInput {
  const record: RunRecord = {
    ...baseRecord(),
    id: 'run-undetected',
    summary: 'completed: NOT DETECTED; no impact; verdict fail',
    result: {
      t0: T0,
      injectStartedAt: at(-0.5),
      revertedAt: at(120),
      clockOffset: { offsetMs: -40, roundTripMs: 10 },
      measurementLagMs: 60_000,
      detection: {
        status: 'undetected',
        reason: 'no expected alert (IstioRequestErrors) fired within the 5m timeout',
        collateral: [],
        preexisting: [],
      },
      recovery: { impact: 'no impact', status: 'no impact' },
      signals: [],
      collateralAlerts: [],
      timeToDetect: null,
      timeToRecover: null,
      recoveryAfterRevert: null,
      verdict: {
        outcome: 'fail',
        objectives: [
          {
            name: 'timeToDetect',
            targetMs: 300_000,
            outcome: 'missed',
            reason:
              'not detected: no expected alert (IstioRequestErrors) fired within the 5m timeout',
          },
          { name: 'timeToRecover', targetMs: 120_000, outcome: 'met', reason: 'no traffic impact' },
        ],
      },
      samples: { count: 60, noData: 0, belowThreshold: 0, min: 1, max: 1, mean: 1 },
      revertVerification: { state: 'reverted', details: [] },
    },
  };
  const events: TimelineEvent[] = [
    state(-10, 'baseline'),
    { at: at(0), type: 'inject', phase: 'accepted' },
    { at: at(120), type: 'revert', phase: 'accepted' },
    state(330, 'completed', record.summary),
  ];
  return { record, events, samples: samples(-10, 330, () => 1), signalSamples: [] };
}

/** The kill switch stopped the run while the fault was held. */
export function abortedRun(): ReportInput {
  const stop = {
    kind: 'halt' as const,
    message: 'kill switch: payments maintenance window',
    by: 'ops-oncall',
    at: at(30),
  };
  const record: RunRecord = {
    ...baseRecord(),
    id: 'run-aborted',
    state: 'aborted',
    outcome: 'aborted',
    updatedAt: at(45),
    stop,
    summary: `aborted: halt — ${stop.message}`,
    result: {
      t0: T0,
      revertedAt: at(32),
      clockOffset: { offsetMs: 5, roundTripMs: 8 },
      detection: { status: 'pending', collateral: [], preexisting: [] },
      recovery: { impact: 'impact', impactStart: at(10), worstValue: 0, status: 'unknown' },
      timeToDetect: null,
      timeToRecover: null,
      recoveryAfterRevert: null,
      verdict: {
        outcome: 'inconclusive',
        objectives: [
          {
            name: 'timeToDetect',
            targetMs: 300_000,
            outcome: 'unknown',
            reason: 'detection still pending',
          },
          {
            name: 'timeToRecover',
            targetMs: 120_000,
            outcome: 'unknown',
            reason: 'recovery unknown',
          },
        ],
      },
      revertVerification: { state: 'reverted', details: [] },
    },
  };
  const events: TimelineEvent[] = [
    { at: at(0), type: 'inject', phase: 'accepted' },
    { at: at(30), type: 'stop', reason: stop },
    { at: at(32), type: 'revert', phase: 'accepted' },
    state(45, 'aborted', record.summary),
  ];
  return {
    record,
    events,
    samples: samples(-10, 40, (s) => (s >= 10 ? 0 : 1)),
    signalSamples: [],
  };
}

/** Baseline traffic was below the threshold: nothing was injected (no t0). */
export function failedAtBaselineRun(): ReportInput {
  const record: RunRecord = {
    ...baseRecord(),
    id: 'run-failed',
    state: 'failed',
    outcome: 'failed',
    updatedAt: at(-40),
    summary: 'failed: baseline not healthy: traffic success 80% is below the 99% threshold',
    result: { clockOffset: { unknown: 'PROMETHEUS_URL is not set' } },
  };
  const events: TimelineEvent[] = [
    state(-59, 'preflight'),
    state(-50, 'baseline'),
    state(-40, 'failed', record.summary),
  ];
  return {
    record,
    events,
    samples: samples(-50, -40, () => 0.8),
    signalSamples: [],
  };
}

export const HOSTILE_DESCRIPTION = '<script>alert(1)</script>';
export const HOSTILE_NOTE = '"><img src=x onerror=alert(1)>';

/** The completed run with user input that tries to break out of HTML/XML/Markdown. */
export function hostileRun(): ReportInput {
  const input = completedRun();
  const metadata = input.record.scenario.metadata;
  metadata.description = HOSTILE_DESCRIPTION;
  metadata.runbook = 'javascript:alert(1)';
  // Labels are validated on the way in; the renderers must not rely on it.
  metadata.labels = { team: `x" onmouseover="alert(1)` };
  input.events.push({
    at: at(70),
    type: 'responder',
    event: 'note',
    author: `mallory<b>`,
    text: HOSTILE_NOTE,
  });
  return input;
}

const ILLEGAL_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const REFERENCE = /^&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;

function badAmpersands(text: string): boolean {
  for (let i = text.indexOf('&'); i !== -1; i = text.indexOf('&', i + 1)) {
    if (!REFERENCE.test(text.slice(i))) return true;
  }
  return false;
}

/**
 * A minimal XML well-formedness check (Node has no XML parser): an optional declaration, then
 * exactly one root element; tags balanced and properly nested; attribute values double-quoted,
 * unique per element, without `<`; `&` only in references; no character XML 1.0 forbids.
 * Returns the problems found, empty when the document passes.
 */
export function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  if (ILLEGAL_XML_CHAR.test(xml)) problems.push('a character illegal in XML 1.0');
  const body = xml.replace(/^<\?xml[^?]*\?>/, '');
  const tag =
    /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[^\s=<>/"']+\s*=\s*"[^"]*")*)\s*(\/?)>|<!--[\s\S]*?-->/g;
  const stack: string[] = [];
  let roots = 0;
  let last = 0;
  const text = (chunk: string) => {
    if (chunk.includes('<'))
      problems.push(`stray '<' in text: ${JSON.stringify(chunk.slice(0, 60))}`);
    if (badAmpersands(chunk))
      problems.push(`bare '&' in text: ${JSON.stringify(chunk.slice(0, 60))}`);
    if (stack.length === 0 && chunk.trim() !== '') problems.push('text outside the root element');
  };
  for (const match of body.matchAll(tag)) {
    text(body.slice(last, match.index));
    last = match.index + match[0].length;
    if (match[0].startsWith('<!--')) continue;
    const [, closing, name = '', attributes = '', selfClosing] = match;
    if (closing) {
      if (attributes.trim() !== '' || selfClosing) problems.push(`malformed end tag </${name}>`);
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? 'nothing'}>`);
      continue;
    }
    if (stack.length === 0) roots += 1;
    const seen = new Set<string>();
    for (const attr of attributes.matchAll(/([^\s=]+)\s*=\s*"([^"]*)"/g)) {
      const [, attrName = '', value = ''] = attr;
      if (seen.has(attrName)) problems.push(`duplicate attribute ${attrName} on <${name}>`);
      seen.add(attrName);
      if (value.includes('<')) problems.push(`'<' in attribute ${attrName} of <${name}>`);
      if (badAmpersands(value)) problems.push(`bare '&' in attribute ${attrName} of <${name}>`);
    }
    if (!selfClosing) stack.push(name);
  }
  text(body.slice(last));
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(' > ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}
