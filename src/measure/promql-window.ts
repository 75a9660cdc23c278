/**
 * The measurement lag of a PromQL query (SPEC §6): a rate over `[1m]` averages the last minute,
 * so a recovery shows in full only up to that long after it happened. The report states it.
 */

/** Prometheus's duration units, in the order a duration must list them. */
const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['y', 365 * 24 * 3_600_000],
  ['w', 7 * 24 * 3_600_000],
  ['d', 24 * 3_600_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];
const TERM = /(\d+)(ms|y|w|d|h|m|s)/y;

/** Parses a Prometheus duration (`5m`, `1h30m`, `0`); undefined when it is not one. */
export function parsePrometheusDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (text === '') return undefined;
  let total = 0;
  let lastRank = -1;
  TERM.lastIndex = 0;
  while (TERM.lastIndex < text.length) {
    const match = TERM.exec(text);
    if (!match) return undefined;
    const rank = UNITS.findIndex(([unit]) => unit === match[2]);
    if (rank <= lastRank) return undefined;
    lastRank = rank;
    total += Number(match[1]) * (UNITS[rank]?.[1] ?? 0);
  }
  return total;
}

/** The text between `[` and `]` outside string literals and comments. */
function bracketContents(expr: string): string[] {
  const found: string[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i];
    if (c === '"' || c === "'" || c === '`') {
      i++;
      while (i < expr.length && expr[i] !== c) i += c !== '`' && expr[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '#') {
      while (i < expr.length && expr[i] !== '\n') i++;
    } else if (c === '[') {
      const end = expr.indexOf(']', i + 1);
      if (end < 0) break;
      found.push(expr.slice(i + 1, end));
      i = end + 1;
    } else {
      i++;
    }
  }
  return found;
}

/**
 * The largest range window in the expression: `[1m]`, or a subquery's range (`[5m:30s]` → 5m).
 * Offsets do not widen the window, they only shift it. Undefined when there is none.
 */
export function promqlWindowMs(expr: string): number | undefined {
  let largest: number | undefined;
  for (const contents of bracketContents(expr)) {
    const range = parsePrometheusDuration(contents.split(':')[0]?.trim() ?? '');
    if (range !== undefined && (largest === undefined || range > largest)) largest = range;
  }
  return largest;
}
