import { describe, expect, it } from 'vitest';
import { verdict, type Detection, type Recovery } from '../../src/measure/index.js';
import { durationMs } from '../../src/scenario/primitives.js';

const none = { collateral: [], preexisting: [] };
const detected = (ms: number): Detection => ({
  ...none,
  status: 'detected',
  at: ms,
  timeToDetectMs: ms,
});
const undetected: Detection = {
  ...none,
  status: 'undetected',
  reason: 'no expected alert (IstiodDown) fired within the 10m timeout',
};
const pending: Detection = { ...none, status: 'pending' };
const unknownDetection: Detection = {
  ...none,
  status: 'unknown',
  reason: 'alert sources unavailable',
};

const recovered = (ms: number): Recovery => ({
  impact: 'impact',
  status: 'recovered',
  at: ms,
  timeToRecoverMs: ms,
});
const noImpact: Recovery = { impact: 'no impact', status: 'no impact' };
const notRecovered: Recovery = { impact: 'impact', status: 'not recovered', reason: 'stayed low' };
const unknownRecovery: Recovery = { impact: 'unknown', status: 'unknown' };

const objectives = { timeToDetect: durationMs('5m'), timeToRecover: durationMs('15m') };

describe('verdict', () => {
  it('passes when both objectives are met, with reasons a person reads', () => {
    const result = verdict(detected(42_100), recovered(durationMs('3m')), objectives);
    expect(result.outcome).toBe('pass');
    expect(result.objectives).toEqual([
      {
        name: 'timeToDetect',
        targetMs: 300_000,
        actualMs: 42_100,
        outcome: 'met',
        reason: 'detected in 42.1s, objective 5m',
      },
      {
        name: 'timeToRecover',
        targetMs: 900_000,
        actualMs: 180_000,
        outcome: 'met',
        reason: 'recovered in 3m, objective 15m',
      },
    ]);
  });

  it('meets an objective hit exactly', () => {
    const result = verdict(detected(300_000), noImpact, objectives);
    expect(result.objectives[0]?.outcome).toBe('met');
  });

  it('fails when detection is slower than the objective', () => {
    const result = verdict(detected(300_001), recovered(1), objectives);
    expect(result.outcome).toBe('fail');
    expect(result.objectives[0]).toMatchObject({ outcome: 'missed' });
    expect(result.objectives[0]?.reason).toContain('over the objective 5m');
  });

  it('fails when recovery is slower than the objective', () => {
    const result = verdict(detected(1), recovered(durationMs('16m')), objectives);
    expect(result.outcome).toBe('fail');
    expect(result.objectives[1]).toMatchObject({ outcome: 'missed', actualMs: 960_000 });
  });

  it('misses timeToDetect when undetected', () => {
    const result = verdict(undetected, noImpact, objectives);
    expect(result.outcome).toBe('fail');
    expect(result.objectives[0]).toMatchObject({ outcome: 'missed' });
    expect(result.objectives[0]?.reason).toContain('within the 10m timeout');
  });

  it.each([
    ['unknown', unknownDetection],
    ['pending', pending],
  ])('is inconclusive when detection is %s', (_, detection) => {
    const result = verdict(detection, noImpact, objectives);
    expect(result.outcome).toBe('inconclusive');
    expect(result.objectives[0]?.outcome).toBe('unknown');
  });

  it('meets timeToRecover without traffic impact', () => {
    const result = verdict(detected(1), noImpact, objectives);
    expect(result.objectives[1]).toMatchObject({ outcome: 'met', reason: 'no traffic impact' });
    expect(result.objectives[1]?.actualMs).toBeUndefined();
  });

  it('misses timeToRecover when traffic did not recover', () => {
    const result = verdict(detected(1), notRecovered, objectives);
    expect(result.outcome).toBe('fail');
    expect(result.objectives[1]).toMatchObject({ outcome: 'missed' });
    expect(result.objectives[1]?.reason).toContain('stayed low');
  });

  it('is inconclusive when recovery is unknown', () => {
    const result = verdict(detected(1), unknownRecovery, objectives);
    expect(result.outcome).toBe('inconclusive');
  });

  it('fails rather than being inconclusive when one objective is missed and one unknown', () => {
    expect(verdict(undetected, unknownRecovery, objectives).outcome).toBe('fail');
    expect(verdict(unknownDetection, notRecovered, objectives).outcome).toBe('fail');
  });

  it('judges only the objectives that are set', () => {
    const result = verdict(undetected, recovered(1), { timeToRecover: 10 });
    expect(result).toMatchObject({ outcome: 'pass', objectives: [{ name: 'timeToRecover' }] });
  });

  it('passes with no objectives at all', () => {
    expect(verdict(undetected, notRecovered, {})).toEqual({ outcome: 'pass', objectives: [] });
  });
});
