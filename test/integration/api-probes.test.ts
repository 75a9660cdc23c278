import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { buildInfo } from '../../src/build-info.js';
import { createLogger } from '../../src/logger.js';
import { createMetricsRegistry } from '../../src/metrics.js';
import { checkRedis, createRedisConnection, type Redis } from '../../src/redis.js';
import { startRedis, waitFor, type RedisHandle } from '../support/index.js';

let redisServer: RedisHandle;
let redis: Redis;
let server: Server;
let base: string;

beforeAll(async () => {
  redisServer = await startRedis();
  const logger = createLogger({ name: 'test-api', level: 'silent', format: 'json' });
  redis = createRedisConnection({
    url: redisServer.url,
    connectionName: 'test-api',
    logger,
    purpose: 'requests',
  });
  const app = createApp({
    logger,
    metrics: createMetricsRegistry(buildInfo()),
    readiness: { redis: () => checkRedis(redis) },
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  redis?.disconnect();
  await redisServer?.dispose();
});

describe('API probes', () => {
  it('/healthz answers while the process is up', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz follows Redis down and back up without a restart', async () => {
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, {
      description: '/readyz to report ready',
    });

    await redisServer.stop();
    const down = await waitFor(
      async () => {
        const res = await fetch(`${base}/readyz`);
        return res.status === 503 ? res : undefined;
      },
      { description: '/readyz to answer 503 while Redis is stopped' },
    );
    expect(down.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await down.json()) as { status: number; detail: string; checks: unknown };
    expect(problem.status).toBe(503);
    expect(problem.detail).toMatch(/redis/);
    expect(problem.checks).toMatchObject({ redis: { ok: false } });

    await redisServer.start();
    const up = await waitFor(
      async () => {
        const res = await fetch(`${base}/readyz`);
        return res.status === 200 ? res : undefined;
      },
      { description: '/readyz to recover once Redis is back', timeoutMs: 15_000 },
    );
    expect(await up.json()).toEqual({ status: 'ready', checks: { redis: { ok: true } } });
  });

  it('/metrics exposes default process metrics and gameday_build_info', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    const { version, nodeVersion } = buildInfo();
    expect(text).toContain(
      `gameday_build_info{version="${version}",revision="unknown",node_version="${nodeVersion}"} 1`,
    );
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
  });

  it('answers unknown paths with problem+json', async () => {
    const res = await fetch(`${base}/api/v1/nothing-here`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ status: 404, title: 'Not Found' });
  });

  it('echoes a well-formed X-Request-Id and replaces a malformed one', async () => {
    const kept = await fetch(`${base}/healthz`, { headers: { 'X-Request-Id': 'trace-123' } });
    expect(kept.headers.get('x-request-id')).toBe('trace-123');
    const replaced = await fetch(`${base}/healthz`, {
      headers: { 'X-Request-Id': 'not a request id!' },
    });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
