import { z } from 'zod';
import { scenarioSchema, type Scenario } from '../scenario/schema.js';

/**
 * What a run may change of its scenario without editing the file: where it runs, how long it
 * waits and holds, how success is judged. The fault itself is not overridable — a different
 * fault is a different scenario. Values are checked again by the scenario schema once merged.
 */
export const runOverridesSchema = z.strictObject({
  target: z.strictObject({ context: z.string(), namespace: z.string() }).partial().optional(),
  detection: z.strictObject({ timeout: z.string() }).partial().optional(),
  traffic: z
    .strictObject({
      promql: z.string(),
      interval: z.string(),
      successThreshold: z.number(),
      sustainFor: z.string(),
    })
    .partial()
    .optional(),
  recovery: z
    .strictObject({
      mode: z.enum(['auto', 'responders']),
      holdFor: z.string(),
      timeout: z.string(),
    })
    .partial()
    .optional(),
  objectives: z
    .strictObject({ timeToDetect: z.string(), timeToRecover: z.string() })
    .partial()
    .optional(),
});

export type RunOverrides = z.output<typeof runOverridesSchema>;

/** The scenario with the overrides applied, validated again as a whole. */
export function applyOverrides(
  scenario: Scenario,
  overrides: RunOverrides | undefined,
): z.ZodSafeParseResult<Scenario> {
  if (!overrides) return { success: true, data: scenario };
  const spec = structuredClone(scenario.spec) as Record<string, unknown>;
  for (const [section, values] of Object.entries(overrides)) {
    if (values === undefined) continue;
    spec[section] = { ...(spec[section] as object), ...values };
  }
  return scenarioSchema.safeParse({ ...scenario, spec });
}
