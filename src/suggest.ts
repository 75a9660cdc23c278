/**
 * "Did you mean" for names a person typed: scenario fields, catalogue names, commands, flags.
 */

/** Edit distance counting a swap of neighbours as one edit (`lables` → `labels`). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

export interface SuggestOptions {
  /** At most this many names (default 3). */
  max?: number;
  /** Also names that start with what was typed (at least 3 characters): `istiod` → `istiod-oom`. */
  prefixes?: boolean;
}

/**
 * The known names closest to `typed`, nearest first: within one edit for names of up to four
 * characters, two for longer ones (case ignored).
 */
export function closestNames(
  typed: string,
  known: Iterable<string>,
  { max = 3, prefixes = false }: SuggestOptions = {},
): string[] {
  const lower = typed.toLowerCase();
  const limit = typed.length <= 4 ? 1 : 2;
  const prefixOf = (name: string) =>
    prefixes && lower.length >= 3 && name.toLowerCase().startsWith(lower);
  return [...new Set(known)]
    .map((name) => ({ name, d: editDistance(lower, name.toLowerCase()) }))
    .filter(({ name, d }) => d <= limit || prefixOf(name))
    .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name))
    .slice(0, max)
    .map(({ name }) => name);
}

/** `; did you mean 'a'?` or `; did you mean 'a' or 'b'?`, or '' when nothing is close. */
export function didYouMean(
  typed: string,
  known: Iterable<string>,
  { quote = "'", ...options }: SuggestOptions & { quote?: string } = {},
): string {
  const close = closestNames(typed, known, options);
  if (close.length === 0) return '';
  const q = (name: string) => `${quote}${name}${quote}`;
  const names =
    close.length === 1
      ? q(close[0]!)
      : `${close.slice(0, -1).map(q).join(', ')} or ${q(close.at(-1)!)}`;
  return `; did you mean ${names}?`;
}
