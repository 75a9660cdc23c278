import { describe, expect, it } from 'vitest';
import {
  measureRecovery,
  measureSignal,
  type RecoveryInput,
  type SignalSample,
  type TrafficSample,
} from '../../src/measure/index.js';

const T0 = 1_700_000_000_000;
const S = 1_000;

/** One sample every 5s from `start` seconds after t0. */
function series(values: ReadonlyArray<number | null>, start = 5): TrafficSample[] {
  return values.map((value, i) => ({ at: T0 + (start + 5 * i) * S, value }));
}

function input(samples: TrafficSample[], overrides: Partial<RecoveryInput> = {}): RecoveryInput {
  return {
    t0: T0,
    samples,
    threshold: 0.99,
    sustainForMs: 30 * S,
    now: T0 + 60 * 60 * S,
    ...overrides,
  };
}

const GOOD7 = [1, 1, 1, 1, 1, 1, 1];

describe('measureRecovery', () => {
  it('reports no impact when no sample after t0 falls below the threshold', () => {
    const result = measureRecovery(
      input([{ at: T0 - 5 * S, value: 0.2 }, ...series([1, 0.995, null, 0.99])]),
    );
    expect(result).toMatchObject({ impact: 'no impact', status: 'no impact', worstValue: 0.99 });
    expect(result.impactStart).toBeUndefined();
  });

  it('is unknown without impact when the traffic source was unavailable', () => {
    const result = measureRecovery(input(series([1, 1]), { unavailable: 'Prometheus: 503' }));
    expect(result).toMatchObject({
      impact: 'unknown',
      status: 'unknown',
      reason: 'traffic source unavailable: Prometheus: 503',
    });
  });

  it('is unknown when there was no data at all after t0', () => {
    const result = measureRecovery(input(series([null, null, Number.NaN])));
    expect(result).toMatchObject({ impact: 'unknown', status: 'unknown' });
  });

  it('finds impact start, worst value and the start of the first sustained good run', () => {
    // impact at 15s, good from 30s, 30s later at 60s it has held long enough.
    const result = measureRecovery(
      input(series([1, 1, 0.5, 0.2, 0.9, ...GOOD7, 0.3]), { revertedAt: T0 + 20 * S }),
    );
    expect(result).toMatchObject({
      impact: 'impact',
      impactStart: T0 + 15 * S,
      worstValue: 0.2,
      status: 'recovered',
      at: T0 + 30 * S,
      timeToRecoverMs: 30 * S,
      recoveryAfterRevertMs: 10 * S,
    });
  });

  it('reports recovery before the revert as a negative time after revert', () => {
    const result = measureRecovery(input(series([0.1, ...GOOD7]), { revertedAt: T0 + 2 * 60 * S }));
    expect(result).toMatchObject({ at: T0 + 10 * S, recoveryAfterRevertMs: -110 * S });
  });

  it('leaves recoveryAfterRevertMs out without a revert', () => {
    const result = measureRecovery(input(series([0.1, ...GOOD7])));
    expect(result.status).toBe('recovered');
    expect(result).not.toHaveProperty('recoveryAfterRevertMs');
  });

  it('recovers only after a sustained window when success flaps', () => {
    const flapping = [0.2, 1, 1, 0.5, 1, 1, 1, 1, 1, 0.98, 1, 1];
    const result = measureRecovery(input(series([...flapping, ...GOOD7])));
    expect(result).toMatchObject({ status: 'recovered', at: T0 + (5 + 5 * 10) * S });
  });

  it('does not recover when success flaps until the end', () => {
    const result = measureRecovery(input(series([0.2, 1, 1, 0.5, 1, 1, 1, 0.4, 1])));
    expect(result.status).toBe('not recovered');
  });

  it('lets null samples break a sustained window', () => {
    const result = measureRecovery(input(series([0.2, 1, 1, 1, null, ...GOOD7])));
    expect(result).toMatchObject({ status: 'recovered', at: T0 + 30 * S });
  });

  it('does not count a null sample as impact', () => {
    const result = measureRecovery(input(series([1, null, 1, 0.5, ...GOOD7])));
    expect(result.impactStart).toBe(T0 + 20 * S);
  });

  it('needs only one good sample when sustainFor is 0', () => {
    const result = measureRecovery(input(series([0.2, 0.5, 1, 0.1]), { sustainForMs: 0 }));
    expect(result).toMatchObject({ status: 'recovered', at: T0 + 15 * S });
  });

  it('is not recovered when success stays low', () => {
    const result = measureRecovery(input(series([1, 0.2, 0.4, 0.3])));
    expect(result).toMatchObject({
      impact: 'impact',
      impactStart: T0 + 10 * S,
      worstValue: 0.2,
      status: 'not recovered',
    });
    expect(result.at).toBeUndefined();
    expect(result.timeToRecoverMs).toBeUndefined();
  });

  it('is not recovered when the good run has not lasted sustainFor by the last sample', () => {
    const result = measureRecovery(input(series([0.2, 0.5, 1, 1, 1])));
    expect(result).toMatchObject({
      status: 'not recovered',
      reason: 'success held for 10s of the required 30s when measurement ended',
    });
  });

  it('judges only samples up to now', () => {
    const samples = series([0.2, ...GOOD7]);
    expect(measureRecovery(input(samples, { now: T0 + 35 * S })).status).toBe('not recovered');
    expect(measureRecovery(input(samples, { now: T0 + 40 * S })).status).toBe('recovered');
  });

  it('sorts samples by time', () => {
    const result = measureRecovery(input(series([0.2, ...GOOD7]).reverse()));
    expect(result).toMatchObject({ impactStart: T0 + 5 * S, at: T0 + 10 * S });
  });

  it('is unknown, not "not recovered", when the source failed after impact', () => {
    const result = measureRecovery(input(series([0.2, 1]), { unavailable: 'Prometheus: 503' }));
    expect(result).toMatchObject({ impact: 'impact', status: 'unknown' });
  });
});

describe('measureSignal', () => {
  function signal(holds: ReadonlyArray<boolean | null>): SignalSample[] {
    return holds.map((h, i) => ({ at: T0 + (5 + 5 * i) * S, holds: h }));
  }
  const NOW = T0 + 60 * 60 * S;
  const HOLDS7 = [true, true, true, true, true, true, true];

  it('is unaffected when the condition never broke after t0', () => {
    const samples = [{ at: T0 - S, holds: false }, ...signal([true, null, true])];
    expect(measureSignal('xds', samples, T0, 30 * S, NOW)).toMatchObject({
      name: 'xds',
      status: 'unaffected',
    });
  });

  it('is unknown without data', () => {
    expect(measureSignal('xds', signal([null, null]), T0, 30 * S, NOW).status).toBe('unknown');
    expect(measureSignal('xds', [], T0, 30 * S, NOW).status).toBe('unknown');
  });

  it('recovers at the start of the first sustained holding window after it broke', () => {
    const result = measureSignal(
      'injection',
      signal([true, false, true, null, ...HOLDS7]),
      T0,
      30 * S,
      NOW,
    );
    expect(result).toMatchObject({
      status: 'recovered',
      brokenAt: T0 + 10 * S,
      at: T0 + 25 * S,
      timeToRecoverMs: 25 * S,
    });
  });

  it('is not recovered when it has not held long enough', () => {
    const result = measureSignal('xds', signal([false, true, true]), T0, 30 * S, NOW);
    expect(result).toMatchObject({ status: 'not recovered', brokenAt: T0 + 5 * S });
    expect(result.reason).toBe(
      'the condition held for 5s of the required 30s when measurement ended',
    );
  });
});
