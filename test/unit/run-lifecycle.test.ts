import { describe, expect, it } from 'vitest';
import {
  assertTransition,
  FINAL_STATES,
  IllegalTransition,
  isFinal,
  RUN_STATES,
} from '../../src/run/lifecycle.js';
import { applyOverrides } from '../../src/run/overrides.js';
import { newRunId } from '../../src/run/submit.js';
import { scenarioSchema } from '../../src/scenario/schema.js';

describe('run lifecycle', () => {
  it('walks the normal path of SPEC §5', () => {
    const path = [
      'queued',
      'preflight',
      'baseline',
      'injecting',
      'observing',
      'reverting',
      'verifying',
      'completed',
    ] as const;
    for (let i = 1; i < path.length; i++)
      expect(() => assertTransition(path[i - 1]!, path[i]!)).not.toThrow();
  });

  it('never re-injects after a revert, and never leaves a final state', () => {
    expect(() => assertTransition('reverting', 'injecting')).toThrow(IllegalTransition);
    expect(() => assertTransition('verifying', 'observing')).toThrow(IllegalTransition);
    expect(() => assertTransition('observing', 'injecting')).toThrow(IllegalTransition);
    for (const final of FINAL_STATES) {
      for (const next of RUN_STATES)
        expect(() => assertTransition(final, next)).toThrow(IllegalTransition);
    }
  });

  it('cannot complete without reverting once a fault may be in the cluster', () => {
    for (const from of ['injecting', 'observing'] as const) {
      expect(() => assertTransition(from, 'completed')).toThrow(IllegalTransition);
      expect(() => assertTransition(from, 'failed')).toThrow(IllegalTransition);
    }
  });

  it('knows the final states', () => {
    expect(RUN_STATES.filter(isFinal)).toEqual(['completed', 'failed', 'aborted', 'error']);
  });
});

describe('run ids', () => {
  it('are sortable by creation time and valid Kubernetes label values', () => {
    const id = newRunId(Date.UTC(2026, 10, 22, 5, 1, 2));
    expect(id).toMatch(/^20261122-050102-[0-9a-f]{8}$/);
    expect(id.length).toBeLessThanOrEqual(63);
  });
});

describe('run overrides', () => {
  const scenario = scenarioSchema.parse({
    apiVersion: 'gameday/v1',
    kind: 'Scenario',
    metadata: { name: 'deny' },
    spec: {
      target: { namespace: 'payments' },
      fault: { type: 'deny-policy' },
      detection: { alerts: [{ alertname: 'IstioHigh4xxErrorRate' }] },
      traffic: { promql: 'vector(1)' },
    },
  });

  it('change only the named fields and keep the scenario valid', () => {
    const result = applyOverrides(scenario, {
      recovery: { holdFor: '30s' },
      target: { namespace: 'orders' },
    });
    expect(result.success).toBe(true);
    expect(result.data?.spec.recovery).toMatchObject({
      mode: 'auto',
      holdFor: '30s',
      timeout: '15m',
    });
    expect(result.data?.spec.target).toEqual({ context: '', namespace: 'orders' });
    expect(scenario.spec.recovery.holdFor).toBe('2m');
  });

  it('name the field an invalid override breaks', () => {
    const result = applyOverrides(scenario, { recovery: { holdFor: 'soon' } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['spec', 'recovery', 'holdFor']);
  });
});
