import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import {
  getJson,
  redisPing,
  startAlertmanager,
  startMetricsTarget,
  startPrometheus,
  startRedis,
  startWebhookReceiver,
  waitFor,
  type RedisHandle,
} from '../support/index.js';

const ALERT_NAME = 'GamedayHarnessFiring';

const HARNESS_RULES = `
groups:
  - name: gameday-harness
    interval: 1s
    rules:
      - alert: ${ALERT_NAME}
        expr: gameday_harness_up == 1
        for: 2s
        labels:
          severity: test
`;

interface AlertmanagerApiAlert {
  fingerprint: string;
  labels: Record<string, string>;
  status: { state: string };
}

interface PrometheusAlertsResponse {
  status: string;
  data: { alerts: Array<{ labels: Record<string, string>; state: string; activeAt?: string }> };
}

/** A client that fails fast instead of queueing commands while Redis is down. */
async function connectRedis(url: string): Promise<Redis> {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

describe('harness: waitFor', () => {
  it('times out naming what it waited for and the last error', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('still broken');
        },
        { description: 'the impossible', timeoutMs: 200, intervalMs: 20 },
      ),
    ).rejects.toThrow(/Timed out after 200ms waiting for the impossible.*last error: still broken/);
  });
});

describe('harness: Redis', () => {
  let redis: RedisHandle | undefined;
  const clients: Redis[] = [];

  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await redis?.dispose();
  });

  it('answers PING, goes down on stop() and keeps AOF data across start()', async () => {
    redis = await startRedis({ appendOnly: true });
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);

    const client = await connectRedis(redis.url);
    clients.push(client);
    expect(await client.ping()).toBe('PONG');
    await client.set('gameday:harness', 'persisted');
    expect(await client.get('gameday:harness')).toBe('persisted');

    await redis.stop();
    expect(redis.running).toBe(false);
    await expect(client.get('gameday:harness')).rejects.toThrow();
    await expect(redisPing(redis.host, redis.port)).rejects.toThrow();

    const url = redis.url;
    await redis.start();
    expect(redis.url).toBe(url);
    const reconnected = await connectRedis(redis.url);
    clients.push(reconnected);
    expect(await reconnected.get('gameday:harness')).toBe('persisted');
  });

  it('comes back on the same port after kill() and restart()', async () => {
    if (!redis) throw new Error('the previous test did not start Redis');
    const port = redis.port;
    await redis.kill();
    expect(redis.running).toBe(false);
    await redis.start();
    await redis.restart();
    expect(redis.port).toBe(port);
    expect(await redisPing(redis.host, redis.port)).toBe(true);
  });
});

describe('harness: cleanup', () => {
  it('kills services left running by a test process that is SIGTERMed (as Vitest does)', async () => {
    const fixture = fileURLToPath(new URL('../support/fixtures/abandon-redis.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit');
    try {
      const lines = createInterface({ input: child.stdout });
      const [firstLine] = (await Promise.race([
        once(lines, 'line'),
        exited.then(() => {
          throw new Error(`fixture exited before starting Redis: ${stderr}`);
        }),
      ])) as [string];
      const started = JSON.parse(firstLine) as { host: string; port: number; dir: string };
      expect(await redisPing(started.host, started.port)).toBe(true);

      child.kill('SIGTERM');
      const [, signal] = (await exited) as [number | null, NodeJS.Signals | null];
      expect(signal).toBe('SIGTERM');
      await waitFor(
        () =>
          redisPing(started.host, started.port).then(
            () => false,
            () => true,
          ),
        { description: 'the abandoned Redis to be gone', timeoutMs: 5_000 },
      );
      expect(existsSync(started.dir)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('harness: alert pipeline', () => {
  const teardown: Array<() => Promise<void>> = [];

  afterAll(async () => {
    for (const step of teardown.reverse()) await step();
  });

  it('Prometheus fires a rule and Alertmanager delivers it to the webhook', async () => {
    const testStart = Date.now();
    const receiver = await startWebhookReceiver();
    teardown.push(() => receiver.close());
    const alertmanager = await startAlertmanager({ webhookUrl: receiver.url });
    teardown.push(() => alertmanager.dispose());
    const target = await startMetricsTarget(
      '# TYPE gameday_harness_up gauge\ngameday_harness_up 1\n',
    );
    teardown.push(() => target.close());
    const prometheus = await startPrometheus({
      scrapeTargets: [{ job: 'harness', targets: [target.hostPort] }],
      ruleFiles: { 'harness.yml': HARNESS_RULES },
      alertmanagerUrls: [alertmanager.url],
    });
    teardown.push(() => prometheus.dispose());

    const { alert, request } = await receiver.waitForAlert(
      (a) => a.labels['alertname'] === ALERT_NAME && a.status === 'firing',
      30_000,
    );
    expect(alert.labels).toMatchObject({
      severity: 'test',
      job: 'harness',
      instance: target.hostPort,
    });
    const startsAt = Date.parse(alert.startsAt);
    expect(startsAt).toBeGreaterThanOrEqual(testStart - 5_000);
    expect(startsAt).toBeLessThanOrEqual(request.at.getTime());
    expect(alert.fingerprint).toMatch(/^[0-9a-f]{16}$/);

    const filter = encodeURIComponent(`alertname="${ALERT_NAME}"`);
    const inAlertmanager = await getJson<AlertmanagerApiAlert[]>(
      `${alertmanager.url}/api/v2/alerts?filter=${filter}`,
    );
    expect(inAlertmanager).toHaveLength(1);
    expect(inAlertmanager[0]).toMatchObject({
      fingerprint: alert.fingerprint,
      status: { state: 'active' },
    });

    const inPrometheus = await getJson<PrometheusAlertsResponse>(`${prometheus.url}/api/v1/alerts`);
    const ruleAlert = inPrometheus.data.alerts.find((a) => a.labels['alertname'] === ALERT_NAME);
    expect(ruleAlert?.state).toBe('firing');
    expect(Date.parse(ruleAlert?.activeAt ?? '')).toBeGreaterThanOrEqual(testStart - 5_000);

    target.set('# TYPE gameday_harness_up gauge\ngameday_harness_up 0\n');
    const resolved = await receiver.waitForAlert(
      (a) => a.fingerprint === alert.fingerprint && a.status === 'resolved',
      30_000,
    );
    expect(Date.parse(resolved.alert.endsAt)).toBeGreaterThan(startsAt);
  });

  it('startPrometheus rejects a bad rule file with Prometheus’ own complaint', async () => {
    const badRules = `
groups:
  - name: broken
    rules:
      - alert: Broken
        expr: gameday_harness_up ==
`;
    await expect(startPrometheus({ ruleFiles: { 'broken.yml': badRules } })).rejects.toThrow(
      /broken\.yml.*parse error/,
    );
  });
});
