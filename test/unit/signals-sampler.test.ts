import { describe, expect, it } from 'vitest';
import type { Guard, RecoverySignal } from '../../src/scenario/schema.js';
import {
  classifyRequestError,
  evaluateGuard,
  measurePrometheusOffset,
  type QuerySample,
  sampleSignal,
  sampleSuccessRatio,
  SignalUnavailable,
  summarise,
} from '../../src/signals/index.js';

const clock = { now: () => 5_000 };
const querier = (result: QuerySample[]) => ({ query: () => Promise.resolve(result) });

describe('sampleSuccessRatio', () => {
  it('takes the single series value', async () => {
    expect(await sampleSuccessRatio(querier([{ labels: {}, value: 0.97 }]), 'q', clock)).toEqual({
      at: 5_000,
      value: 0.97,
    });
  });

  it('gives null with "no data" for no series or NaN', async () => {
    expect(await sampleSuccessRatio(querier([]), 'q', clock)).toEqual({
      at: 5_000,
      value: null,
      detail: 'no data',
    });
    expect(await sampleSuccessRatio(querier([{ labels: {}, value: NaN }]), 'q', clock)).toEqual({
      at: 5_000,
      value: null,
      detail: 'no data',
    });
    expect(
      (await sampleSuccessRatio(querier([{ labels: {}, value: Infinity }]), 'q', clock)).detail,
    ).toBe('no data (value +Inf)');
  });

  it('uses the first of several series and says so', async () => {
    const sample = await sampleSuccessRatio(
      querier([
        { labels: { app: 'a' }, value: 0.5 },
        { labels: { app: 'b' }, value: 1 },
      ]),
      'q',
      clock,
    );
    expect(sample.value).toBe(0.5);
    expect(sample.detail).toMatch(/2 series, using the first \{app="a"\}/);
  });

  it('clamps to [0, 1]', async () => {
    const high = await sampleSuccessRatio(querier([{ labels: {}, value: 1.02 }]), 'q', clock);
    expect(high).toEqual({ at: 5_000, value: 1, detail: 'value 1.02 clamped to 1' });
    expect(
      (await sampleSuccessRatio(querier([{ labels: {}, value: -0.1 }]), 'q', clock)).value,
    ).toBe(0);
  });

  it('lets SignalUnavailable through', async () => {
    const failing = {
      query: () => Promise.reject(new SignalUnavailable('prometheus', 'Prometheus down')),
    };
    await expect(sampleSuccessRatio(failing, 'q', clock)).rejects.toBeInstanceOf(SignalUnavailable);
  });
});

describe('sampleSignal', () => {
  const signal = (recoveredIf?: RecoverySignal['recoveredIf']): RecoverySignal => ({
    name: 's',
    promql: 'q',
    ...(recoveredIf !== undefined && { recoveredIf }),
  });

  it('without recoveredIf holds while the query returns anything', async () => {
    expect(await sampleSignal(querier([]), signal(), clock)).toEqual({ at: 5_000, holds: false });
    expect(await sampleSignal(querier([{ labels: {}, value: 0 }]), signal(), clock)).toEqual({
      at: 5_000,
      holds: true,
    });
  });

  it('with recoveredIf holds when any series satisfies it', async () => {
    const atLeastOne = signal({ op: '>=', value: 1 });
    const series = [
      { labels: { pod: 'a' }, value: 0 },
      { labels: { pod: 'b' }, value: 2 },
    ];
    expect((await sampleSignal(querier(series), atLeastOne, clock)).holds).toBe(true);
    expect((await sampleSignal(querier([series[0]!]), atLeastOne, clock)).holds).toBe(false);
    expect((await sampleSignal(querier([]), atLeastOne, clock)).holds).toBe(false);
  });
});

describe('evaluateGuard', () => {
  const guard: Guard = { promql: 'errors', abortIf: { op: '>', value: 0 }, for: '0s' };

  it('trips when any series satisfies abortIf and says which', async () => {
    const result = await evaluateGuard(
      querier([
        { labels: { pod: 'a' }, value: 0 },
        { labels: { pod: 'b' }, value: 3 },
      ]),
      guard,
      clock,
    );
    expect(result).toEqual({ at: 5_000, value: 0, tripped: true, detail: '{pod="b"} = 3 > 0' });
  });

  it('does not trip on no data or NaN', async () => {
    expect(await evaluateGuard(querier([]), guard, clock)).toEqual({
      at: 5_000,
      value: null,
      tripped: false,
    });
    expect((await evaluateGuard(querier([{ labels: {}, value: NaN }]), guard, clock)).tripped).toBe(
      false,
    );
  });
});

describe('measurePrometheusOffset', () => {
  it('keeps the probe with the smallest round trip, corrected by half of it', async () => {
    // Tool clock readings: [sent, received] per probe; Prometheus is 1000 ms ahead.
    const readings = [0, 40, 100, 110, 200, 230];
    const serverTimes = [1_030, 1_104, 1_220];
    let reading = 0;
    let probe = 0;
    const result = await measurePrometheusOffset(
      { serverTime: () => Promise.resolve(serverTimes[probe++]!) },
      { now: () => readings[reading++]! },
    );
    // Probe 2: sent 100, rtt 10 → offset = 1104 − 105 = 999.
    expect(result).toEqual({ offsetMs: 999, roundTripMs: 10 });
  });

  it('skips failed probes and throws when all fail', async () => {
    let calls = 0;
    const flaky = {
      serverTime: () =>
        calls++ === 0
          ? Promise.reject(new SignalUnavailable('prometheus', 'down'))
          : Promise.resolve(Date.now() - 2_000),
    };
    const result = await measurePrometheusOffset(flaky, { now: Date.now }, 2);
    expect(result.offsetMs).toBeGreaterThan(-2_100);
    expect(result.offsetMs).toBeLessThan(-1_900);
    const down = { serverTime: () => Promise.reject(new SignalUnavailable('prometheus', 'down')) };
    await expect(measurePrometheusOffset(down, { now: Date.now })).rejects.toThrow('down');
  });
});

describe('probe failure classes', () => {
  const err = (code: string, message = code) => Object.assign(new Error(message), { code });
  const open = { timedOut: false, beforeTls: false };

  it('classifies TLS, refused, reset, timeout', () => {
    expect(classifyRequestError(err('CERT_HAS_EXPIRED'), open)).toBe(
      'TLS handshake failure (CERT_HAS_EXPIRED)',
    );
    expect(classifyRequestError(err('ERR_SSL_WRONG_VERSION_NUMBER'), open)).toBe(
      'TLS handshake failure (ERR_SSL_WRONG_VERSION_NUMBER)',
    );
    expect(classifyRequestError(err('ECONNRESET'), { timedOut: false, beforeTls: true })).toBe(
      'TLS handshake failure (ECONNRESET)',
    );
    expect(classifyRequestError(err('ECONNRESET'), open)).toBe('connection reset');
    expect(classifyRequestError(err('ECONNREFUSED'), open)).toBe('connection refused');
    expect(classifyRequestError(err('ABORT_ERR'), { timedOut: true, beforeTls: true })).toBe(
      'timeout',
    );
    expect(classifyRequestError(err('ENOTFOUND'), open)).toBe('DNS lookup failed (ENOTFOUND)');
  });

  it('summarises counts by class, most frequent first', () => {
    expect(
      summarise(2, 6, {
        'unexpected status 503': 1,
        'TLS handshake failure (CERT_HAS_EXPIRED)': 3,
      }),
    ).toBe('2/6 ok; 3 TLS handshake failure (CERT_HAS_EXPIRED); 1 unexpected status 503');
  });
});
