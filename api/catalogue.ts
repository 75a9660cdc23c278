import { loadScenarioDirectory } from '../src/scenario/loader.js';
import type { GameDay, Scenario } from '../src/scenario/schema.js';
import type { Catalogue } from './context.js';

const RELOAD_AFTER_MS = 10_000;

/**
 * The scenario catalogue from a directory, re-read at most every 10 s so edited files show up
 * without a restart. A broken file keeps its last good content out of the catalogue and its
 * errors listed; the other files still load.
 */
export function directoryCatalogue(
  dir: string,
  now: () => number = Date.now,
): () => Promise<Catalogue> {
  let cached: { at: number; catalogue: Promise<Catalogue> } | undefined;
  return () => {
    if (!cached || now() - cached.at >= RELOAD_AFTER_MS) {
      cached = { at: now(), catalogue: load(dir) };
    }
    return cached.catalogue;
  };
}

async function load(dir: string): Promise<Catalogue> {
  const result = await loadScenarioDirectory(dir);
  const scenarios = new Map<string, Scenario>();
  const gameDays = new Map<string, GameDay>();
  for (const document of result.documents) {
    if (document.kind === 'Scenario') scenarios.set(document.metadata.name, document);
    else gameDays.set(document.metadata.name, document);
  }
  return { scenarios, gameDays, errors: result.errors.map((e) => e.toString()) };
}
