import { parseDuration } from '../../src/duration.js';
import { scenarioSchema, type Scenario } from '../../src/scenario/schema.js';

/** An alert no rule defines: a run expecting it never sees it fire, so its baseline never fails. */
export const NEVER_FIRES = 'GamedayBenchNeverFires';

export interface DenyScenarioOptions {
  /** The namespace the AuthorizationPolicy goes into, and the run's target. */
  namespace: string;
  /** The `app` label of the pods the policy selects. */
  app: string;
  holdFor: string;
  /** Traffic PromQL; `vector(1)` (always healthy) unless given. */
  promql?: string;
  /** An HTTP probe instead of PromQL. */
  http?: Scenario['spec']['traffic']['http'];
  interval?: string;
  /** Expected alerts; by default one that never fires (the bench measures something else). */
  alerts?: Scenario['spec']['detection']['alerts'];
  name?: string;
}

/**
 * A variant of the catalogue's (lab-scaled) bad-deny-policy scenario for benchmarks: the same
 * fault, aimed at `namespace`, held for `holdFor` in auto mode, with traffic that does not
 * depend on the mesh, so runs do not disturb each other's baseline.
 */
export function denyScenario(base: Scenario, options: DenyScenarioOptions): Scenario {
  const spec = structuredClone(base.spec);
  spec.target = { ...spec.target, namespace: options.namespace };
  spec.fault = {
    ...spec.fault,
    params: {
      ...(spec.fault.params as Record<string, unknown>),
      selector: { matchLabels: { app: options.app } },
    },
  } as unknown as Scenario['spec']['fault'];
  spec.detection.alerts = options.alerts ?? [{ alertname: NEVER_FIRES }];
  spec.traffic = options.http
    ? { ...spec.traffic, promql: undefined, http: options.http }
    : { ...spec.traffic, promql: options.promql ?? 'vector(1)', http: undefined };
  if (options.interval) spec.traffic.interval = options.interval;
  const holdMs = parseDuration(options.holdFor) ?? 0;
  spec.recovery = { ...spec.recovery, mode: 'auto', holdFor: options.holdFor };
  // The timeouts must outlast the hold, or the run would revert early.
  const longer = `${Math.ceil((holdMs + 600_000) / 1000)}s`;
  spec.recovery.timeout = longer;
  spec.detection.timeout = longer;
  spec.objectives = {};
  return scenarioSchema.parse({
    ...base,
    metadata: { ...base.metadata, name: options.name ?? base.metadata.name },
    spec: JSON.parse(JSON.stringify(spec)) as unknown,
  });
}
