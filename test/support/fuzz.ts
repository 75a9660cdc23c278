// Property-based fuzzing helpers (fast-check) shared by the hostile-input suites: a fixed seed
// and a bounded budget by default (FUZZ_SEED / FUZZ_RUNS override them), failures recorded
// under reports/test-artifacts/, and generators of wrong documents.
import { appendFileSync, mkdirSync } from 'node:fs';
import fc from 'fast-check';

/** The seed every property uses unless FUZZ_SEED is set; printed with every failure. */
export const FUZZ_SEED = Number(process.env['FUZZ_SEED'] ?? 20_261_122);
/** The total number of generated inputs across the suites (CI: 10,000). */
export const FUZZ_TOTAL = Number(process.env['FUZZ_RUNS'] ?? 10_000);
const FAILURES = 'reports/test-artifacts/fuzz-failures.jsonl';

/** This property's share of the budget: `fraction` of {@link FUZZ_TOTAL}, at least 1. */
export const runsFor = (fraction: number) => Math.max(1, Math.round(FUZZ_TOTAL * fraction));

/**
 * Runs `property` `numRuns` times from {@link FUZZ_SEED}. On failure, records the seed, path
 * and counterexample (to replay: FUZZ_SEED=… and fast-check's `path`) and throws fast-check's
 * report.
 */
export async function checkProperty<Ts>(
  name: string,
  property: fc.IAsyncPropertyWithHooks<Ts> | fc.IPropertyWithHooks<Ts>,
  numRuns: number,
): Promise<number> {
  const details = await fc.check(property as fc.IAsyncPropertyWithHooks<Ts>, {
    seed: FUZZ_SEED,
    numRuns,
    endOnFailure: process.env['FUZZ_SHRINK'] === undefined,
  });
  if (details.failed) {
    mkdirSync('reports/test-artifacts', { recursive: true });
    appendFileSync(
      FAILURES,
      `${JSON.stringify({
        property: name,
        seed: details.seed,
        path: details.counterexamplePath,
        counterexample: safeJson(details.counterexample),
        error: String(details.errorInstance).slice(0, 2_000),
      })}\n`,
    );
    const cause = details.errorInstance instanceof Error ? details.errorInstance.message : '';
    throw new Error(
      `property "${name}" failed (seed ${details.seed}; recorded in ${FAILURES})\n${cause.slice(0, 1_000)}\n${(fc.defaultReportMessage(details) ?? '').slice(0, 4_000)}`,
    );
  }
  return details.numRuns;
}

function safeJson(value: unknown): unknown {
  try {
    return JSON.parse(
      JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)),
    );
  } catch {
    return String(value).slice(0, 2_000);
  }
}

export type Segment = string | number;

/** Every path to a node of a JSON document (objects and arrays), the root excluded. */
export function allPaths(document: unknown, prefix: Segment[] = []): Segment[][] {
  const out: Segment[][] = [];
  if (Array.isArray(document)) {
    document.forEach((item, index) => {
      out.push([...prefix, index], ...allPaths(item, [...prefix, index]));
    });
  } else if (document !== null && typeof document === 'object') {
    for (const [key, value] of Object.entries(document)) {
      out.push([...prefix, key], ...allPaths(value, [...prefix, key]));
    }
  }
  return out;
}

export function valueAt(document: unknown, path: readonly Segment[]): unknown {
  let node = document;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

/** A copy of `document` with the node at `path` replaced by `value`, or deleted (`undefined`). */
export function mutateAt(document: unknown, path: readonly Segment[], value?: unknown): unknown {
  const copy = structuredClone(document);
  const parent = valueAt(copy, path.slice(0, -1)) as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value === undefined) delete parent[last];
  else parent[last] = value;
  return copy;
}

const typeOf = (value: unknown) =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;

/** Values whose JSON type differs from `value`'s (never null: some fields are nullable). */
export function wrongTyped(value: unknown): fc.Arbitrary<unknown> {
  const options: Record<string, fc.Arbitrary<unknown>> = {
    string: fc.string({ maxLength: 12 }),
    number: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
    boolean: fc.boolean(),
    object: fc.dictionary(fc.string({ maxLength: 6 }), fc.integer(), { maxKeys: 3 }),
    array: fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 4 })), { maxLength: 3 }),
  };
  const type = typeOf(value);
  return fc.oneof(
    ...Object.entries(options)
      .filter(([name]) => name !== type)
      .map(([, arbitrary]) => arbitrary),
  );
}

export interface Mutation {
  document: unknown;
  path: Segment[];
  kind: 'replace' | 'delete';
  /** The wrong value put at `path` (replace). */
  value?: unknown;
}

/**
 * A valid document with one node replaced by a wrong-typed value, or one object member
 * deleted. `skip` leaves paths out (e.g. fields whose wrong value the API reads as another kind).
 */
export function mutationOf(
  documents: readonly unknown[],
  skip: (path: Segment[]) => boolean = () => false,
): fc.Arbitrary<Mutation> {
  return fc.constantFrom(...documents).chain((document) => {
    const paths = allPaths(document).filter((path) => !skip(path));
    return fc.constantFrom(...paths).chain((path) => {
      const deletable = typeof path[path.length - 1] === 'string';
      return fc.oneof(
        wrongTyped(valueAt(document, path)).map((value): Mutation => ({
          document: mutateAt(document, path, value),
          path,
          kind: 'replace',
          value,
        })),
        ...(deletable
          ? [fc.constant<Mutation>({ document: mutateAt(document, path), path, kind: 'delete' })]
          : []),
      );
    });
  });
}

/**
 * The segments of a field as the API and the loader name it: `body.scenario.spec.alerts.0.x`
 * (dots), `spec.detection.alerts[0].labels["app.kubernetes.io/name"]` (brackets) or both.
 * Numeric segments become numbers.
 */
export function parseField(field: string): Segment[] {
  const out: Segment[] = [];
  const pattern = /\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\.?([^.[\]]+)/g;
  for (const match of field.matchAll(pattern)) {
    if (match[1] !== undefined) out.push(Number(match[1]));
    else if (match[2] !== undefined) out.push(JSON.parse(match[2]) as string);
    else if (match[3] !== undefined) out.push(/^\d+$/.test(match[3]) ? Number(match[3]) : match[3]);
  }
  return out;
}

/** Whether one path is a prefix of the other (the same field, a parent or a child). */
export function related(a: readonly Segment[], b: readonly Segment[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (String(a[i]) !== String(b[i])) return false;
  return true;
}

/** Keys that have hurt JSON handlers before: prototype pollution and friends. */
export const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];

/** Arbitrary JSON with hostile keys mixed in, depth-bounded. */
export const hostileJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.jsonValue({ maxDepth: 2 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.string()), tie('value'), {
      maxKeys: 4,
    }),
    fc.array(tie('value'), { maxLength: 4 }),
  ),
})).value;

/** Stack frames or source paths in a response: an error leaked its internals. */
export const INTERNALS = /\n\s+at |\bat [\w.<>]+ \(|node_modules|\/work\/|file:\/\/|\.ts:\d+/;
