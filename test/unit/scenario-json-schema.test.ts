import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { renderSchemaFiles } from '../../scripts/generate-scenario-schema.js';
import { gameDayJsonSchema, scenarioJsonSchema } from '../../src/scenario/json-schema.js';

type Json = Record<string, unknown>;
const at = (schema: Json, ...path: string[]): Json =>
  path.reduce<Json>((node, key) => (node[key] ?? {}) as Json, schema);

describe('scenario JSON Schemas', () => {
  it('shipped files are what `npm run schema` generates (run it after changing the schema)', async () => {
    const files = await renderSchemaFiles();
    expect([...files.keys()].map((path) => path.replace(/.*\/scenarios\//, 'scenarios/'))).toEqual([
      'scenarios/schema/scenario.schema.json',
      'scenarios/schema/gameday.schema.json',
    ]);
    for (const [path, text] of files) {
      expect(await readFile(path, 'utf8'), path).toBe(text);
    }
  });

  it('describe the input: defaulted fields are optional and show their default', () => {
    const schema = scenarioJsonSchema();
    expect(schema).toMatchObject({ title: 'gameday Scenario', additionalProperties: false });
    const spec = at(schema, 'properties', 'spec');
    expect(spec['required']).toEqual(['target', 'fault', 'detection', 'traffic']);
    expect(at(spec, 'properties', 'traffic', 'properties', 'interval')['default']).toBe('5s');
    const faults = at(spec, 'properties', 'fault')['oneOf'] as Json[];
    const oom = faults.find((f) => at(f, 'properties', 'type')['const'] === 'istiod-oom') ?? {};
    expect(at(oom, 'properties', 'params', 'properties', 'memoryLimit')['default']).toBe('32Mi');
    expect(
      at(gameDayJsonSchema(), 'properties', 'spec', 'properties', 'pauseBetween')['default'],
    ).toBe('1m');
  });
});
