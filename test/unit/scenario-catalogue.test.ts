import { describe, expect, it } from 'vitest';
import { loadScenarioDirectory } from '../../src/scenario/index.js';

describe('the scenario catalogue in scenarios/', () => {
  it('loads without a single error', async () => {
    const { documents, errors } = await loadScenarioDirectory('scenarios');
    expect(errors.map(String)).toEqual([]);
    expect(documents.length).toBeGreaterThanOrEqual(3);
  });

  it('gives every scenario a description and a runbook a responder can follow', async () => {
    const { documents } = await loadScenarioDirectory('scenarios');
    // A GameDay's runbooks are its scenarios'; it needs a description of its own.
    for (const doc of documents.filter((d) => d.kind === 'GameDay')) {
      expect(doc.metadata.description, doc.metadata.name).toBeTruthy();
    }
    for (const doc of documents.filter((d) => d.kind === 'Scenario')) {
      expect(doc.metadata.description, doc.metadata.name).toBeTruthy();
      for (const section of ['SYMPTOMS', 'DIAGNOSE', 'FIX', 'VERIFY']) {
        expect(doc.metadata.runbook, `${doc.metadata.name} runbook`).toContain(section);
      }
    }
  });
});
