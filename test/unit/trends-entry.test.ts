import { describe, expect, it } from 'vitest';
import type { Detection, Recovery, Verdict } from '../../src/measure/types.js';
import type { RunRecord } from '../../src/run/types.js';
import { decodeEntry, encodeEntry, trendEntry, type TrendEntry } from '../../src/trends/entry.js';

const T0 = Date.parse('2026-03-10T12:00:00Z');

function detection(status: Detection['status'], timeToDetectMs?: number): Detection {
  return { status, timeToDetectMs, collateral: [], preexisting: [] };
}

function recovery(status: Recovery['status'], timeToRecoverMs?: number): Recovery {
  return { impact: status === 'no impact' ? 'no impact' : 'impact', status, timeToRecoverMs };
}

const passed: Verdict = {
  outcome: 'pass',
  objectives: [
    { name: 'timeToDetect', targetMs: 60_000, actualMs: 30_000, outcome: 'met', reason: '' },
    { name: 'timeToRecover', targetMs: 300_000, actualMs: 90_000, outcome: 'met', reason: '' },
  ],
};

function record(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    schemaVersion: 1,
    id: '20260310-120000-abcd0123',
    scenario: { metadata: { name: 'istiod-down' } } as RunRecord['scenario'],
    target: { context: '', namespace: 'shop' },
    options: { dryRun: false, allowMeshWide: false, onTargetBusy: 'wait' },
    createdBy: 'test',
    createdAt: T0 - 5_000,
    updatedAt: T0 + 600_000,
    state: 'completed',
    outcome: 'completed',
    preflightFindings: [],
    result: {
      t0: T0,
      detection: detection('detected', 30_000),
      recovery: recovery('recovered', 90_000),
      timeToDetect: 30,
      timeToRecover: 90,
      verdict: passed,
    },
    toolVersion: 'test',
    ...overrides,
  };
}

describe('trendEntry', () => {
  it('extracts the facts trends need from a completed run', () => {
    expect(trendEntry(record())).toEqual({
      runId: '20260310-120000-abcd0123',
      scenario: 'istiod-down',
      at: T0 - 5_000,
      outcome: 'completed',
      detected: true,
      ttd: 30,
      ttr: 90,
      objectives: { met: 2, total: 2 },
      verdict: 'pass',
    });
  });

  it('leaves out runs still in progress and dry runs', () => {
    expect(trendEntry(record({ state: 'observing', outcome: undefined }))).toBeUndefined();
    expect(
      trendEntry(record({ options: { dryRun: true, allowMeshWide: false, onTargetBusy: 'wait' } })),
    ).toBeUndefined();
  });

  it('records an undetected run as detected: false with no time to detect', () => {
    const entry = trendEntry(
      record({
        result: {
          t0: T0,
          detection: detection('undetected'),
          recovery: recovery('not recovered'),
          timeToDetect: null,
          timeToRecover: null,
          verdict: {
            outcome: 'fail',
            objectives: [
              { name: 'timeToDetect', targetMs: 1, outcome: 'missed', reason: '' },
              { name: 'timeToRecover', targetMs: 1, outcome: 'unknown', reason: '' },
            ],
          },
        },
      }),
    );
    expect(entry).toMatchObject({
      detected: false,
      ttd: null,
      ttr: null,
      objectives: { met: 0, total: 1 },
      verdict: 'fail',
    });
  });

  it('has unknown detection when it was unknown, pending, or the run never injected', () => {
    const unknown = record({
      result: { t0: T0, detection: detection('unknown'), timeToDetect: null },
    });
    expect(trendEntry(unknown)).toMatchObject({ detected: null, ttd: null, verdict: null });
    const pending = record({ result: { t0: T0, detection: detection('pending') } });
    expect(trendEntry(pending)?.detected).toBeNull();
    const refused = record({ state: 'failed', outcome: 'failed', result: {} });
    expect(trendEntry(refused)).toMatchObject({
      outcome: 'failed',
      detected: null,
      ttd: null,
      ttr: null,
      objectives: { met: 0, total: 0 },
      verdict: null,
    });
  });

  it('has no time to recover without recovery (no impact counts as met, not as a time)', () => {
    const noImpact = record({
      result: {
        t0: T0,
        detection: detection('detected', 10_000),
        recovery: recovery('no impact'),
        timeToDetect: 10,
        timeToRecover: null,
      },
    });
    expect(trendEntry(noImpact)).toMatchObject({ detected: true, ttd: 10, ttr: null });
  });

  it('keeps aborted runs, with their outcome', () => {
    const aborted = record({ state: 'aborted', outcome: 'aborted' });
    expect(trendEntry(aborted)?.outcome).toBe('aborted');
  });
});

describe('entry encoding', () => {
  it('round-trips through the compact stored form', () => {
    const entries: TrendEntry[] = [
      trendEntry(record())!,
      {
        runId: 'r2',
        scenario: 's',
        at: 1,
        outcome: 'error',
        detected: null,
        ttd: null,
        ttr: null,
        objectives: { met: 0, total: 0 },
        verdict: null,
      },
      {
        runId: 'r3',
        scenario: 's',
        at: 2,
        outcome: 'aborted',
        detected: false,
        ttd: null,
        ttr: 12.345,
        objectives: { met: 1, total: 2 },
        verdict: 'inconclusive',
      },
    ];
    for (const entry of entries) {
      const text = encodeEntry(entry);
      expect(text.length).toBeLessThan(60);
      expect(decodeEntry(entry.runId, entry.scenario, text)).toEqual(entry);
    }
  });

  it('refuses what it cannot read', () => {
    expect(decodeEntry('r', 's', 'not json')).toBeUndefined();
    expect(decodeEntry('r', 's', '{"at":1}')).toBeUndefined();
    expect(decodeEntry('r', 's', '[2,1,0,1,1,1,1,1,0]')).toBeUndefined();
    expect(decodeEntry('r', 's', '[1,1,9,1,1,1,1,1,0]')).toBeUndefined();
  });
});
