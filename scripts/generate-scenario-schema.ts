/**
 * Writes the JSON Schemas of scenario files to scenarios/schema/ from the zod schemas:
 *
 *   npm run schema            # write
 *   npm run schema -- --check # exit 1 when the shipped files are stale
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as prettier from 'prettier';
import { gameDayJsonSchema, scenarioJsonSchema } from '../src/scenario/json-schema.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export const SCHEMA_FILES = {
  'scenarios/schema/scenario.schema.json': scenarioJsonSchema,
  'scenarios/schema/gameday.schema.json': gameDayJsonSchema,
} as const;

/** The files' contents, formatted as `prettier --check` expects them. */
export async function renderSchemaFiles(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const [file, build] of Object.entries(SCHEMA_FILES)) {
    const path = join(ROOT, file);
    const options = (await prettier.resolveConfig(path)) ?? {};
    files.set(path, await prettier.format(JSON.stringify(build()), { ...options, filepath: path }));
  }
  return files;
}

async function main(check: boolean): Promise<number> {
  let stale = 0;
  for (const [path, text] of await renderSchemaFiles()) {
    const name = relative(process.cwd(), path);
    if (check) {
      const current = await readFile(path, 'utf8').catch(() => undefined);
      if (current !== text) {
        console.error(`${name} is stale: run npm run schema`);
        stale++;
      }
    } else {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, text);
      console.log(`wrote ${name}`);
    }
  }
  return stale > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.includes('--check'));
}
