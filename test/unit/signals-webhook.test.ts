import { describe, expect, it } from 'vitest';
import {
  InvalidWebhookPayload,
  parseWebhook,
  webhookPayloadSchema,
} from '../../src/signals/index.js';

const firing = {
  status: 'firing',
  labels: { alertname: 'IstiodDown', namespace: 'istio-system', severity: 'critical' },
  annotations: { summary: 'istiod is down' },
  startsAt: '2024-05-01T10:00:00.123456789Z',
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: 'http://prometheus:9090/graph?g0.expr=up',
  fingerprint: 'a1b2c3d4e5f60718',
};

function payload(alerts: unknown[]) {
  return {
    version: '4',
    groupKey: '{}:{alertname="IstiodDown"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'gameday',
    groupLabels: { alertname: 'IstiodDown' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts,
  };
}

describe('parseWebhook', () => {
  it('turns a firing alert into an observation without endsAt', () => {
    const [observation, ...rest] = parseWebhook(payload([firing]), 1_000);
    expect(rest).toEqual([]);
    expect(observation).toEqual({
      source: 'webhook',
      fingerprint: 'a1b2c3d4e5f60718',
      labels: firing.labels,
      state: 'firing',
      startsAt: Date.UTC(2024, 4, 1, 10, 0, 0, 123),
      observedAt: 1_000,
    });
  });

  it('keeps endsAt of a resolved alert, on the source clock', () => {
    const resolved = { ...firing, status: 'resolved', endsAt: '2024-05-01T12:05:00+02:00' };
    const [observation] = parseWebhook(payload([resolved]), 2_000);
    expect(observation).toMatchObject({
      state: 'resolved',
      endsAt: Date.UTC(2024, 4, 1, 10, 5, 0),
      startsAt: Date.UTC(2024, 4, 1, 10, 0, 0, 123),
    });
  });

  it('treats the zero time as unset even on a resolved alert', () => {
    const [observation] = parseWebhook(payload([{ ...firing, status: 'resolved' }]), 0);
    expect(observation?.endsAt).toBeUndefined();
  });

  it('accepts unknown fields a newer Alertmanager may add', () => {
    expect(parseWebhook({ ...payload([{ ...firing, extra: 1 }]), more: true }, 0)).toHaveLength(1);
  });

  it('names the field at fault', () => {
    const bad = payload([firing, { ...firing, fingerprint: 'not-hex', startsAt: 'yesterday' }]);
    let error: unknown;
    try {
      parseWebhook(bad, 0);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidWebhookPayload);
    const issues = (error as InvalidWebhookPayload).issues;
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^alerts\[1\]\.fingerprint: .*16 hex digits/),
        expect.stringMatching(/^alerts\[1\]\.startsAt: expected an RFC 3339 timestamp/),
      ]),
    );
    expect((error as Error).message).toContain('alerts[1].fingerprint');
  });

  it('refuses another payload version and a missing alert status', () => {
    expect(() => parseWebhook({ ...payload([firing]), version: '3' }, 0)).toThrow(/version/);
    const { status: _status, ...noStatus } = firing;
    expect(() => parseWebhook(payload([noStatus]), 0)).toThrow(/alerts\[0\]\.status/);
    expect(() => parseWebhook('hello', 0)).toThrow(/\(payload\)/);
  });

  it('exports the schema for the API edge', () => {
    expect(webhookPayloadSchema.safeParse(payload([firing])).success).toBe(true);
  });
});
