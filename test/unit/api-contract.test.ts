import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contract, OPERATIONS, pathOf } from '../../src/contract/operations.js';

// One HTTP contract (src/contract/operations.ts): the server registers its routes from it and
// the OpenAPI document is generated from it (test/integration/api-runs.test.ts checks both
// against what Express serves); here, that the clients call nothing else.

const read = (file: string) => readFileSync(file, 'utf8');
const sources = (dir: string) =>
  readdirSync(dir)
    .filter((name) => name.endsWith('.ts'))
    .map((name) => ({ file: join(dir, name), text: read(join(dir, name)) }));

describe('the API contract', () => {
  it('has one operation per method and path', () => {
    const routes = OPERATIONS.map((op) => `${op.method} ${op.path}`);
    expect(new Set(routes).size).toBe(routes.length);
  });

  it('fills path parameters, percent-encoded, and refuses a missing one', () => {
    expect(pathOf(contract.getRun, { id: 'a b/c' })).toBe('/api/v1/runs/a%20b%2Fc');
    expect(() => pathOf(contract.getRun, {})).toThrow(/missing path parameter id/);
  });

  it('is the only place the CLI learns paths from: no path is written in cli/', () => {
    for (const { file, text } of sources('cli')) {
      expect(text, file).not.toMatch(/['"`]\/api\/v1/);
    }
  });

  it('names every operation the dashboard calls, and the dashboard writes no path but the document', () => {
    const app = read('dashboard/app.js');
    const called = [
      ...app.matchAll(/\bcall(?:Json)?\(\s*'([A-Za-z]+)'/g),
      ...app.matchAll(/'(get[A-Za-z]+Report)'/g),
    ].map((m) => m[1]!);
    expect(called.length).toBeGreaterThan(5);
    for (const id of called) expect(Object.keys(contract), id).toContain(id);
    const paths = [...app.matchAll(/['"`](\/api\/v1[^'"`]*)/g)].map((m) => m[1]);
    expect(paths).toEqual([contract.openApi.path]);
  });
});
