import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertFingerprint } from '../../src/measure/fingerprint.js';
import {
  AlertmanagerClient,
  parseSampleValue,
  PrometheusClient,
  SignalUnavailable,
} from '../../src/signals/index.js';
import { closeServer, listenOnLoopback } from '../support/http.js';

/** path (without query) → JSON body; every request is recorded. */
let routes: Record<string, unknown> = {};
const requests: string[] = [];
const server = createServer((req, res) => {
  requests.push(req.url ?? '');
  const path = (req.url ?? '').split('?')[0] ?? '';
  if (!(path in routes)) {
    res.writeHead(404).end('not found');
    return;
  }
  const body = routes[path];
  res.setHeader('content-type', 'application/json').end(JSON.stringify(body));
});
let url = '';

beforeAll(async () => {
  url = `http://127.0.0.1:${await listenOnLoopback(server)}`;
});
afterAll(() => closeServer(server));

const endpoint = () => ({ url, auth: undefined, caFile: undefined });
const ok = (data: unknown) => ({ status: 'success', data });
const vector = (...series: Array<[Record<string, string>, string]>) =>
  ok({
    resultType: 'vector',
    result: series.map(([metric, value]) => ({ metric, value: [1714557600.5, value] })),
  });

const RULES = ok({
  groups: [
    {
      name: 'g',
      rules: [
        { type: 'alerting', name: 'IstiodDown', duration: 60, query: 'x' },
        { type: 'alerting', name: 'Fast', duration: 0.5 },
        { type: 'alerting', name: 'Twice', duration: 10 },
        { type: 'alerting', name: 'Twice', duration: 20 },
        { type: 'recording', name: 'job:up:sum' },
      ],
    },
  ],
});

describe('parseSampleValue', () => {
  it('reads Prometheus float strings', () => {
    expect(parseSampleValue('0.25')).toBe(0.25);
    expect(parseSampleValue('1e-3')).toBe(0.001);
    expect(parseSampleValue('+Inf')).toBe(Infinity);
    expect(parseSampleValue('-Inf')).toBe(-Infinity);
    expect(parseSampleValue('NaN')).toBeNaN();
  });
});

describe('PrometheusClient.query', () => {
  it('returns vector series with labels and keeps NaN', async () => {
    routes = { '/api/v1/query': vector([{ pod: 'a' }, '0.5'], [{ pod: 'b' }, 'NaN']) };
    const client = new PrometheusClient(endpoint());
    const result = await client.query('ratio', 1714557600123);
    expect(result[0]).toEqual({ labels: { pod: 'a' }, value: 0.5 });
    expect(result[1]?.labels).toEqual({ pod: 'b' });
    expect(result[1]?.value).toBeNaN();
    expect(requests.at(-1)).toBe('/api/v1/query?query=ratio&time=1714557600.123');
    client.close();
  });

  it('returns a scalar as one series without labels', async () => {
    routes = { '/api/v1/query': ok({ resultType: 'scalar', result: [1714557600.5, '3'] }) };
    const client = new PrometheusClient(endpoint());
    expect(await client.query('scalar(x)')).toEqual([{ labels: {}, value: 3 }]);
    client.close();
  });

  it('refuses a range vector, not retryable', async () => {
    routes = { '/api/v1/query': ok({ resultType: 'matrix', result: [] }) };
    const client = new PrometheusClient(endpoint());
    const error = await client.query('up[5m]').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignalUnavailable);
    expect(error).toMatchObject({ retryable: false });
    expect((error as Error).message).toMatch(/returns a matrix.*rate\(\)/);
    client.close();
  });

  it('reports an unexpected document naming where', async () => {
    routes = { '/api/v1/query': ok({ resultType: 'vector', result: [{ metric: {}, value: 1 }] }) };
    const client = new PrometheusClient(endpoint());
    await expect(client.query('x')).rejects.toThrow(
      /\(\/api\/v1\/query\) answered with an unexpected document at 0\.value/,
    );
    client.close();
  });

  it('reads the server time in ms', async () => {
    routes = {
      '/api/v1/query': ok({ resultType: 'scalar', result: [1714557600.123, '1714557600.123'] }),
    };
    const client = new PrometheusClient(endpoint());
    expect(await client.serverTime()).toBe(1714557600123);
    expect(requests.at(-1)).toBe('/api/v1/query?query=time%28%29');
    client.close();
  });
});

describe('PrometheusClient rules and alerts', () => {
  it('maps alert names to for in ms, leaving out ambiguous names, cached for 60 s', async () => {
    routes = { '/api/v1/rules': RULES };
    let now = 1_000_000;
    const client = new PrometheusClient(endpoint(), { now: () => now });
    const before = requests.length;
    const durations = await client.ruleDurations();
    expect([...durations]).toEqual([
      ['IstiodDown', 60_000],
      ['Fast', 500],
    ]);
    expect(requests.at(-1)).toBe('/api/v1/rules?type=alert');
    now += 59_999;
    await client.ruleDurations();
    expect(requests.length - before).toBe(1);
    now += 1;
    await client.ruleDurations();
    expect(requests.length - before).toBe(2);
    client.close();
  });

  it('lists pending and firing alerts with fingerprint, activeAt, for and external labels', async () => {
    routes = {
      '/api/v1/rules': RULES,
      '/api/v1/status/config': ok({
        yaml: 'global:\n  scrape_interval: 15s\n  external_labels:\n    cluster: lab\n',
      }),
      '/api/v1/alerts': ok({
        alerts: [
          {
            labels: { alertname: 'IstiodDown', namespace: 'istio-system' },
            annotations: {},
            state: 'pending',
            activeAt: '2024-05-01T10:00:00.987654321Z',
            value: '1e+00',
          },
          {
            labels: { alertname: 'Other', cluster: 'own' },
            annotations: {},
            state: 'firing',
            activeAt: '2024-05-01T09:00:00Z',
            value: '1e+00',
          },
        ],
      }),
    };
    const client = new PrometheusClient(endpoint());
    const alerts = await client.alerts(42);
    const istiod = { alertname: 'IstiodDown', namespace: 'istio-system', cluster: 'lab' };
    expect(alerts).toEqual([
      {
        source: 'prometheus',
        fingerprint: alertFingerprint(istiod),
        labels: istiod,
        state: 'pending',
        activeAt: Date.UTC(2024, 4, 1, 10, 0, 0, 987),
        forMs: 60_000,
        observedAt: 42,
      },
      {
        source: 'prometheus',
        fingerprint: alertFingerprint({ alertname: 'Other', cluster: 'own' }),
        labels: { alertname: 'Other', cluster: 'own' },
        state: 'firing',
        activeAt: Date.UTC(2024, 4, 1, 9),
        observedAt: 42,
      },
    ]);
    client.close();
  });

  it('still lists alerts when rules and config cannot be read', async () => {
    routes = {
      '/api/v1/alerts': ok({
        alerts: [{ labels: { alertname: 'A' }, state: 'firing', activeAt: '2024-05-01T09:00:00Z' }],
      }),
    };
    const client = new PrometheusClient(endpoint());
    const [alert] = await client.alerts(1);
    expect(alert).toMatchObject({ labels: { alertname: 'A' }, state: 'firing' });
    expect(alert?.forMs).toBeUndefined();
    client.close();
  });
});

describe('AlertmanagerClient', () => {
  it('asks for every held alert and reports them firing with startsAt', async () => {
    const labels = { alertname: 'IstiodDown', severity: 'critical' };
    routes = {
      '/api/v2/alerts': [
        {
          annotations: {},
          endsAt: '2024-05-01T10:04:00.000Z',
          fingerprint: alertFingerprint(labels),
          receivers: [{ name: 'gameday' }],
          startsAt: '2024-05-01T10:00:00.5Z',
          status: { inhibitedBy: [], silencedBy: ['x'], state: 'suppressed' },
          updatedAt: '2024-05-01T10:00:01Z',
          labels,
        },
      ],
    };
    const client = new AlertmanagerClient(endpoint());
    expect(await client.alerts(7)).toEqual([
      {
        source: 'alertmanager',
        fingerprint: alertFingerprint(labels),
        labels,
        state: 'firing',
        startsAt: Date.UTC(2024, 4, 1, 10, 0, 0, 500),
        observedAt: 7,
      },
    ]);
    expect(requests.at(-1)).toBe(
      '/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true',
    );
    client.close();
  });

  it('names a broken document', async () => {
    routes = { '/api/v2/alerts': { alerts: [] } };
    const client = new AlertmanagerClient(endpoint());
    await expect(client.alerts(0)).rejects.toThrow(
      /\/api\/v2\/alerts\) answered with an unexpected document/,
    );
    client.close();
  });
});
