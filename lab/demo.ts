// What the two demos share: `npm run demo` (scripts/demo.ts, in-process stack) and the compose
// demo service (lab/compose/demo.ts, over the API), and the end-to-end tests' `settle`.
import { resolveGameDay } from '../src/run/gameday.js';
import { systemClock } from '../src/measure/types.js';
import { directoryCatalogue } from '../src/scenario/directory-catalogue.js';
import type { Scenario } from '../src/scenario/schema.js';
import type { PrometheusClient } from '../src/signals/prometheus.js';
import { sampleSuccessRatio } from '../src/signals/promql-sampler.js';
import { waitFor } from './services/wait-for.js';

/** The scenarios of a catalogue GameDay, in order; `wanted` (names) picks some of them. */
export async function gameDayScenarios(
  directory: string,
  gameDayName: string,
  wanted: readonly string[] = [],
): Promise<Scenario[]> {
  const catalogue = await directoryCatalogue(directory)();
  const gameDay = catalogue.gameDays.get(gameDayName);
  if (!gameDay)
    throw new Error(`the catalogue has no GameDay named ${gameDayName} (${directory}/)`);
  const all = resolveGameDay(gameDay, catalogue.scenarios);
  if (wanted.length === 0) return all;
  const unknown = wanted.filter((name) => !all.some((s) => s.metadata.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `not in the ${gameDayName} GameDay: ${unknown.join(', ')} (has: ${all.map((s) => s.metadata.name).join(', ')})`,
    );
  }
  return all.filter((s) => wanted.includes(s.metadata.name));
}

/**
 * Waits until Prometheus shows no alert pending or firing and the scenario's traffic query (if
 * any) at 100 % success: a clean baseline, the previous run's alerts resolved.
 */
export async function waitForCleanBaseline(
  prometheus: PrometheusClient,
  scenario: Scenario,
  timeoutMs: number,
): Promise<void> {
  let state = 'no answer from Prometheus yet';
  await waitFor(
    async () => {
      const alerts = await prometheus.alerts(systemClock.now());
      const promql = scenario.spec.traffic.promql;
      const sample = promql ? await sampleSuccessRatio(prometheus, promql, systemClock) : undefined;
      state = `alerts: ${alerts.map((a) => `${a.labels['alertname']} ${a.state}`).join(', ') || 'none'}; success: ${sample?.value ?? 'n/a'}`;
      return alerts.length === 0 && (sample === undefined || sample.value === 1);
    },
    { description: () => `a clean baseline in Prometheus (${state})`, timeoutMs, intervalMs: 500 },
  );
}
