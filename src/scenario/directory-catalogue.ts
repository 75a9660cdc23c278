import { loadScenarioDirectory } from './loader.js';
import type { GameDay, Scenario } from './schema.js';

export interface Catalogue {
  scenarios: Map<string, Scenario>;
  gameDays: Map<string, GameDay>;
  /** Problems of catalogue files, shown by GET /scenarios so a broken file is noticed. */
  errors: string[];
}

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
