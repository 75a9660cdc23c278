import type { TestProject } from 'vitest/node';
import { buildEntryPoints, removeEntryBuild } from './entry-build.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The compiled sources that entry-process.ts starts (see entry-build.ts). */
    entryBuild: string;
  }
}

/** Once per `vitest run` of the integration tests: compile the programs they start. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const outdir = await buildEntryPoints(project.config.root);
  project.provide('entryBuild', outdir);
  return () => removeEntryBuild(outdir);
}
