/**
 * The compact per-run facts trends need (SPEC §6 "across runs", §7 trends), extracted once when
 * a run ends so that trend queries never load run records.
 */
import type { VerdictOutcome } from '../measure/types.js';
import { isFinal, type FinalState } from '../run/lifecycle.js';
import type { RunRecord } from '../run/types.js';

export interface TrendEntry {
  runId: string;
  /** `scenario.metadata.name`. */
  scenario: string;
  /** The run's `createdAt`, ms since the epoch: what ranges and buckets are cut by. */
  at: number;
  outcome: FinalState;
  /**
   * true: an expected alert fired; false: undetected (the important finding); null: unknown,
   * still pending when the run ended, or the run never injected.
   */
  detected: boolean | null;
  /** time to detect, seconds; null unless detected. */
  ttd: number | null;
  /** time to recover (from t0), seconds; null unless traffic recovered. */
  ttr: number | null;
  /** Objectives judged met, out of those judged met or missed (`unknown` ones are left out). */
  objectives: { met: number; total: number };
  /** The verdict against the objectives; null when the run produced none. */
  verdict: VerdictOutcome | null;
}

/**
 * The run's trend entry, or undefined when it does not belong in trends: runs not yet in a final
 * state, and dry runs (they inject nothing, so there is nothing to measure).
 *
 * Runs that ended failed/aborted/error are returned (trends count them as `notCompleted`), but
 * only `completed` runs feed detection rate, MTTD, MTTR and attainment (see aggregate.ts).
 */
export function trendEntry(record: RunRecord): TrendEntry | undefined {
  if (record.options.dryRun) return undefined;
  if (!isFinal(record.state)) return undefined;
  const outcome = record.outcome ?? record.state;
  const result = record.result;
  const injected = result.t0 !== undefined;
  const status = result.detection?.status;
  const detected = !injected
    ? null
    : status === 'detected'
      ? true
      : status === 'undetected'
        ? false
        : null;
  const ttd = detected === true ? finiteOrNull(result.timeToDetect) : null;
  const ttr =
    injected && result.recovery?.status === 'recovered' ? finiteOrNull(result.timeToRecover) : null;
  let met = 0;
  let total = 0;
  for (const objective of result.verdict?.objectives ?? []) {
    if (objective.outcome === 'unknown') continue;
    total += 1;
    if (objective.outcome === 'met') met += 1;
  }
  return {
    runId: record.id,
    scenario: record.scenario.metadata.name,
    at: record.createdAt,
    outcome,
    detected,
    ttd,
    ttr,
    objectives: { met, total },
    verdict: result.verdict?.outcome ?? null,
  };
}

function finiteOrNull(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

// ---- storage encoding ----
//
// Entries are stored as compact JSON arrays (no field names; run id and scenario are the hash
// field and key): about a third of the bytes of the object form, and cheaper to parse, which is
// what dominates a query over 100k runs. The leading version lets the layout change later.

const ENCODING_VERSION = 1;
/** Stored outcome codes: the index in this list. Append only. */
export const OUTCOME_CODES: readonly FinalState[] = ['completed', 'failed', 'aborted', 'error'];
const VERDICTS: readonly VerdictOutcome[] = ['pass', 'fail', 'inconclusive'];

type Encoded = [
  version: number,
  at: number,
  outcome: number,
  detected: 0 | 1 | null,
  ttd: number | null,
  ttr: number | null,
  met: number,
  total: number,
  verdict: number | null,
];

/** The stored form of an entry (without its run id and scenario, which the keys carry). */
export function encodeEntry(entry: TrendEntry): string {
  const encoded: Encoded = [
    ENCODING_VERSION,
    entry.at,
    OUTCOME_CODES.indexOf(entry.outcome),
    entry.detected === null ? null : entry.detected ? 1 : 0,
    entry.ttd,
    entry.ttr,
    entry.objectives.met,
    entry.objectives.total,
    entry.verdict === null ? null : VERDICTS.indexOf(entry.verdict),
  ];
  return JSON.stringify(encoded);
}

/** Reads a stored entry back; undefined for text it cannot read (corrupt or a newer layout). */
export function decodeEntry(runId: string, scenario: string, text: string): TrendEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value[0] !== ENCODING_VERSION || value.length < 9) return undefined;
  const [, at, outcome, detected, ttd, ttr, met, total, verdict] = value as Encoded;
  const finalState = OUTCOME_CODES[outcome];
  if (typeof at !== 'number' || finalState === undefined) return undefined;
  return {
    runId,
    scenario,
    at,
    outcome: finalState,
    detected: detected === null ? null : detected === 1,
    ttd,
    ttr,
    objectives: { met, total },
    verdict: verdict === null ? null : (VERDICTS[verdict] ?? null),
  };
}
