import fc from 'fast-check';
import { stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  loadScenarioDirectory,
  loadScenarioText,
  MAX_ALIAS_COUNT,
  MAX_FILE_BYTES,
  validateManifest,
  type LoadResult,
  type Manifest,
} from '../../src/scenario/index.js';
import {
  checkProperty,
  hostileJson,
  HOSTILE_KEYS,
  mutationOf,
  parseField,
  related,
  runsFor,
  valueAt,
  type Segment,
} from '../support/fuzz.js';

// SPEC §2 hostile input: the scenario loader and validator take whatever a file or an API
// body holds. Properties over generated documents (fixed seed; FUZZ_SEED/FUZZ_RUNS override):
// nothing throws, and every rejection names a field that is really in the document — for a
// valid document with one field broken, that field (or its parent or child).

let documents: Manifest[];

beforeAll(async () => {
  const catalogue = await loadScenarioDirectory('scenarios');
  const fixtures = await loadScenarioDirectory('test/fixtures/scenarios/valid');
  expect(catalogue.errors.map(String)).toEqual([]);
  documents = [...catalogue.documents, ...fixtures.documents];
  expect(documents.length).toBeGreaterThanOrEqual(10);
});

/** The loader's contract for any input: errors well-formed, a document either loads or errs. */
function expectWellFormed(result: LoadResult, file: string) {
  expect(result.documents.length).toBe(result.sources.length);
  for (const error of result.errors) {
    expect(error.file).toBe(file);
    expect(error.line).toBeGreaterThanOrEqual(1);
    expect(error.column).toBeGreaterThanOrEqual(1);
    expect(error.message.length).toBeGreaterThan(0);
    expect(typeof error.path).toBe('string');
  }
}

/** Whether every node of `path` but the last exists in `data`: the issue is about its field. */
function parentExists(data: unknown, path: readonly Segment[]): boolean {
  const parent = valueAt(data, path.slice(0, -1));
  return path.length === 0 || (parent !== null && typeof parent === 'object');
}

/**
 * An issue names the broken field when its path is that field, a parent or a child; or, for a
 * rule across fields ("principal is only used with rule: typo-principal"), when it is about a
 * sibling and its message names the broken field.
 */
function namesMutation(issuePath: Segment[], message: string, broken: Segment[]): boolean {
  if (related(issuePath, broken)) return true;
  const name = String(broken.at(-1));
  return related(issuePath, broken.slice(0, -1)) && message.includes(name);
}

describe('one field broken in a valid document', () => {
  it('validateManifest names that field, its parent or its child', async () => {
    const counts = {
      replace: { accepted: 0, rejected: 0 },
      delete: { accepted: 0, rejected: 0 },
    };
    await checkProperty(
      'validateManifest: mutation named',
      fc.property(mutationOf(documents), (mutation) => {
        const result = validateManifest(mutation.document);
        counts[mutation.kind][result.ok ? 'accepted' : 'rejected'] += 1;
        if (result.ok) return;
        const named = result.issues.map((issue) => issue.path);
        expect(
          result.issues.some((issue) => namesMutation(issue.path, issue.message, mutation.path)),
          `${mutation.kind} ${JSON.stringify(mutation.path)}: issues at ${JSON.stringify(named)}`,
        ).toBe(true);
        for (const issue of result.issues) expect(issue.message.length).toBeGreaterThan(0);
      }),
      runsFor(0.3),
    );
    // A wrong-typed value is refused (a few fields take a number or a string, e.g. maxSurge);
    // deleting an optional field is not an error. Without refusals the property proves little.
    expect(counts.replace.rejected).toBeGreaterThan(counts.replace.accepted * 50);
    expect(counts.delete.rejected).toBeGreaterThan(counts.delete.accepted / 2);
  }, 60_000);

  it('the loader reports it at that field with a position, from YAML text', async () => {
    await checkProperty(
      'loadScenarioText: mutation named',
      fc.property(mutationOf(documents), (mutation) => {
        const text = stringify(mutation.document);
        const result = loadScenarioText(text, { file: 'fuzz.yaml' });
        expectWellFormed(result, 'fuzz.yaml');
        if (result.errors.length === 0) {
          expect(result.documents).toHaveLength(1);
          return;
        }
        expect(result.documents).toEqual([]);
        expect(
          result.errors.some(
            (e) => e.path !== '' && namesMutation(parseField(e.path), e.message, mutation.path),
          ),
          `${mutation.kind} ${JSON.stringify(mutation.path)}: ${result.errors.map(String).join(' | ')}`,
        ).toBe(true);
        const lines = text.split('\n').length;
        for (const error of result.errors) expect(error.line).toBeLessThanOrEqual(lines + 1);
      }),
      runsFor(0.2),
    );
  }, 60_000);
});

describe('arbitrary input', () => {
  it('validateManifest never throws and names fields that are in the document', async () => {
    const scenarioLike = fc.record({
      apiVersion: fc.oneof(fc.constant('gameday/v1'), hostileJson),
      kind: fc.oneof(fc.constantFrom('Scenario', 'GameDay'), hostileJson),
      metadata: fc.oneof(fc.record({ name: fc.string() }), hostileJson),
      spec: hostileJson,
    });
    const anything = fc.anything({
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withSparseArray: true,
      withTypedArray: true,
      withBoxedValues: true,
      withObjectString: true,
      key: fc.oneof(fc.string(), fc.constantFrom(...HOSTILE_KEYS)),
    });
    await checkProperty(
      'validateManifest: arbitrary',
      fc.property(fc.oneof(anything, hostileJson, scenarioLike), (data) => {
        const result = validateManifest(data);
        if (result.ok) return;
        expect(result.issues.length).toBeGreaterThan(0);
        for (const issue of result.issues) {
          expect(issue.message.length).toBeGreaterThan(0);
          expect(
            parentExists(data, issue.path),
            `issue at ${JSON.stringify(issue.path)} points outside the document`,
          ).toBe(true);
        }
      }),
      runsFor(0.15),
    );
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  }, 60_000);

  it('the loader never throws on YAML-ish text, whatever its tokens', async () => {
    const token = fc.constantFrom(
      ...[' ', '  ', '\n', '\t', '- ', ': ', ':', '[', ']', '{', '}', ',', '"', "'", '#', '|', '>'],
      ...['---', '...', '&a ', '*a', '&b ', '*b', '!!str ', '!!binary ', '!<tag:x> ', '%YAML 1.2'],
      ...['? ', '<<: *a', '\uFEFF', '\u0000', '\r\n', '1e999', '0x1F', '.nan', '~', 'null'],
      ...['apiVersion: gameday/v1', 'kind: Scenario', 'metadata:', 'name: x', 'spec:'],
      ...['fault:', 'type: deny-policy', 'target: { namespace: payments }', '__proto__:'],
    );
    const text = fc.oneof(
      fc.array(token, { maxLength: 60 }).map((tokens) => tokens.join('')),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.jsonValue().map((value) => JSON.stringify(value)),
    );
    await checkProperty(
      'loadScenarioText: arbitrary text',
      fc.property(text, (source) => {
        const result = loadScenarioText(source, { file: 'arbitrary.yaml' });
        expectWellFormed(result, 'arbitrary.yaml');
      }),
      runsFor(0.15),
    );
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  }, 60_000);
});

describe('resource exhaustion', () => {
  const timed = <T>(f: () => T): { value: T; ms: number } => {
    const start = performance.now();
    const value = f();
    return { value, ms: performance.now() - start };
  };
  const load = (text: string) => timed(() => loadScenarioText(text, { file: 'bomb.yaml' }));

  it('refuses a billion-laughs document quickly, at the first alias', () => {
    // Nine levels of ten aliases each: 10^9 nodes if expanded.
    const levels = Array.from({ length: 9 }, (_, i) => {
      const [name, previous] = [`l${i + 1}`, `l${i}`];
      return `${name}: &${name} [${Array(10).fill(`*${previous}`).join(', ')}]`;
    });
    const text = `l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n${levels.join('\n')}\n`;
    const { value, ms } = load(text);
    expect(value.documents).toEqual([]);
    expect(value.errors.map(String)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^bomb\\.yaml:2:\\d+: refusing to expand YAML aliases: more than ${MAX_ALIAS_COUNT}`,
        ),
      ),
    ]);
    expect(ms).toBeLessThan(2_000);
  });

  it('refuses a merge-key alias bomb', () => {
    const levels = Array.from({ length: 12 }, (_, i) => {
      const keys = Array.from({ length: 10 }, (_, k) => `k${k}: *m${i}`).join(', ');
      return `m${i + 1}: &m${i + 1} { ${keys} }`;
    });
    const { value, ms } = load(`m0: &m0 { a: 1 }\n${levels.join('\n')}\n`);
    expect(value.documents).toEqual([]);
    expect(value.errors.map((e) => e.message).join(' ')).toMatch(/alias/);
    expect(ms).toBeLessThan(2_000);
  });

  it.each([
    ['flow sequences', (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`],
    ['flow mappings', (n: number) => `${'{a: '.repeat(n)}1${'}'.repeat(n)}`],
    [
      'block mappings',
      (n: number) => Array.from({ length: n }, (_, i) => `${' '.repeat(i)}a:`).join('\n'),
    ],
    [
      'block sequences',
      (n: number) => Array.from({ length: n }, (_, i) => `${' '.repeat(i * 2)}- `).join('\n'),
    ],
  ])('refuses %s nested 10,000 deep without overflowing the stack', (_name, nest) => {
    const text = nest(10_000);
    const { value, ms } = load(text.length > MAX_FILE_BYTES ? text.slice(0, MAX_FILE_BYTES) : text);
    expect(value.documents).toEqual([]);
    expect(value.errors.length).toBeGreaterThan(0);
    expectWellFormed(value, 'bomb.yaml');
    expect(ms).toBeLessThan(2_000);
  });

  it('validates a document nested 10,000 deep in JSON without overflowing the stack', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    const base = structuredClone(documents.find((d) => d.kind === 'Scenario')!) as unknown;
    for (const path of [
      ['spec', 'fault', 'params'],
      ['metadata', 'labels'],
      ['spec', 'extra'],
    ]) {
      const parent = valueAt(base, path.slice(0, -1)) as Record<string, unknown>;
      const saved = parent[path.at(-1)!];
      parent[path.at(-1)!] = deep;
      const { value, ms } = timed(() => validateManifest(base));
      parent[path.at(-1)!] = saved;
      expect(value.ok).toBe(false);
      if (!value.ok) expect(value.issues.some((i) => related(i.path, path))).toBe(true);
      expect(ms).toBeLessThan(2_000);
    }
  });

  it('refuses a file over the size limit without parsing it', () => {
    const { value, ms } = load(`a: "${'x'.repeat(MAX_FILE_BYTES)}"\n`);
    expect(value.errors.map(String)).toEqual([
      `bomb.yaml:1:1: larger than ${MAX_FILE_BYTES} bytes; not a scenario file`,
    ]);
    expect(ms).toBeLessThan(500);
  });

  it('does not let __proto__ in a document pollute prototypes', () => {
    const result = load(
      'apiVersion: gameday/v1\nkind: Scenario\n__proto__: { polluted: yes }\nmetadata: { name: x, __proto__: { polluted: yes } }\n',
    ).value;
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(result.documents).toEqual([]);
    expect(result.errors.some((e) => e.path === '__proto__' || e.path.includes('__proto__'))).toBe(
      true,
    );
  });
});
