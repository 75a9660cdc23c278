/** Traffic success, recovery signals and guards read from Prometheus with instant queries. */
import type { Clock, SignalSample, TrafficSample } from '../measure/types.js';
import { compare, formatComparison } from '../scenario/primitives.js';
import type { Guard, RecoverySignal } from '../scenario/schema.js';
import type { QuerySample } from './prometheus.js';

/** Anything that runs an instant query, e.g. a PrometheusClient. */
export interface InstantQuerier {
  query(expr: string, at?: number): Promise<QuerySample[]>;
}

function formatLabels(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `{${pairs.join(', ')}}`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/**
 * One traffic success sample from a success-ratio query. `at` is the tool's clock when the query
 * was sent (Prometheus evaluates it at its own now, half a round trip later).
 *
 * - No series, or a NaN/±Inf value (e.g. 0/0 when there is no traffic at all) → `value: null`,
 *   detail `no data`.
 * - Several series → the first one is used and the detail says so (write the query with `sum`).
 * - The value is clamped to [0, 1], and the detail says so when that changed it.
 *
 * Throws SignalUnavailable when Prometheus cannot be read.
 */
export async function sampleSuccessRatio(
  client: InstantQuerier,
  expr: string,
  clock: Clock,
): Promise<TrafficSample> {
  const at = clock.now();
  const result = await client.query(expr);
  const first = result[0];
  if (first === undefined) return { at, value: null, detail: 'no data' };
  const notes: string[] = [];
  if (result.length > 1) {
    notes.push(
      `the query returned ${result.length} series, using the first ${formatLabels(first.labels)}; aggregate it (e.g. with sum) to get one`,
    );
  }
  if (!Number.isFinite(first.value)) {
    const why = Number.isNaN(first.value)
      ? 'no data'
      : `no data (value ${formatValue(first.value)})`;
    return { at, value: null, detail: [why, ...notes].join('; ') };
  }
  const value = Math.min(1, Math.max(0, first.value));
  if (value !== first.value) notes.push(`value ${first.value} clamped to ${value}`);
  return { at, value, ...(notes.length > 0 && { detail: notes.join('; ') }) };
}

/**
 * Whether a recovery signal holds now: with `recoveredIf`, when any series' value satisfies it;
 * without, when the query returns any series. Throws SignalUnavailable when Prometheus cannot be
 * read (the run records `holds: null` for that time).
 */
export async function sampleSignal(
  client: InstantQuerier,
  signal: RecoverySignal,
  clock: Clock,
): Promise<SignalSample> {
  const at = clock.now();
  const result = await client.query(signal.promql);
  const condition = signal.recoveredIf;
  const holds =
    condition === undefined
      ? result.length > 0
      : result.some((series) => compare(condition, series.value));
  return { at, holds };
}

export interface GuardEvaluation {
  at: number;
  /** The first series' value (null when the query returned nothing). */
  value: number | null;
  /** Whether any series satisfies `abortIf` (how long it must hold is the caller's business). */
  tripped: boolean;
  /** Which series tripped it, e.g. `{pod="a"} = 3 > 0`. */
  detail?: string;
}

export async function evaluateGuard(
  client: InstantQuerier,
  guard: Guard,
  clock: Clock,
): Promise<GuardEvaluation> {
  const at = clock.now();
  const result = await client.query(guard.promql);
  const trippedBy = result.find((series) => compare(guard.abortIf, series.value));
  return {
    at,
    value: result[0]?.value ?? null,
    tripped: trippedBy !== undefined,
    ...(trippedBy !== undefined && {
      detail: `${formatLabels(trippedBy.labels)} = ${formatValue(trippedBy.value)} ${formatComparison(guard.abortIf)}`,
    }),
  };
}
