import type { Queue } from 'bullmq';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { directoryCatalogue } from '../../src/scenario/directory-catalogue.js';
import { createLogger } from '../../src/logger.js';
import { systemClock } from '../../src/measure/types.js';
import type { Redis } from '../../src/redis.js';
import { keys } from '../../src/run/keys.js';
import type { RunStore } from '../../src/run/store.js';
import { startScheduled } from '../../src/run/schedules.js';
import { validate, compileErrors } from '@readme/openapi-parser';
import { OPERATIONS } from '../../api/openapi.js';
import { TrendIndex } from '../../src/trends/index-store.js';
import type { RunRecord } from '../../src/run/types.js';
import { GameDayStore } from '../../src/run/gameday.js';
import { submitRun } from '../../src/run/submit.js';
import {
  API_TOKENS,
  API_WEBHOOK_SECRET,
  bearer,
  createTestApp,
  startApiTestApp,
  WEBHOOK_PAYLOAD,
  type ApiTestApp,
} from '../support/api-app.js';

// SPEC §8 over the API (supertest), with a real Redis and BullMQ queue and no worker: runs stay
// queued, which is all these routes need.

const TOKENS = API_TOKENS;
const WEBHOOK_SECRET = API_WEBHOOK_SECRET;
const as = bearer;

let api: ApiTestApp;
let redis: Redis;
let store: RunStore;
let queue: Queue;
let app: Express;

beforeAll(async () => {
  api = await startApiTestApp({ logLevel: 'error' });
  ({ redis, store, queue, app } = api);
});

beforeEach(async () => {
  await redis.flushdb();
});

afterAll(async () => {
  await api?.close();
});

function expectProblem(res: request.Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type: 'about:blank', status, title: expect.any(String) });
  expect(typeof res.body.detail).toBe('string');
  expect(JSON.stringify(res.body)).not.toMatch(/\n\s+at /); // no stack traces
}

const createRun = (body: object, role: keyof typeof TOKENS = 'operator') =>
  request(app).post('/api/v1/runs').set('Authorization', as(role)).send(body);

describe('auth, for every documented route', () => {
  const RANK = { viewer: 0, operator: 1, admin: 2 } as const;
  const protectedOps = OPERATIONS.filter(
    (op): op is (typeof OPERATIONS)[number] & { auth: keyof typeof RANK } => op.auth in RANK,
  );
  const call = (op: (typeof OPERATIONS)[number]) =>
    (request(app) as unknown as Record<string, (p: string) => request.Test>)[op.method]!(
      op.path.replace(':id', 'some-id').replace(':name', 'some-name'),
    );
  const label = (op: (typeof OPERATIONS)[number]) =>
    `${op.method.toUpperCase()} ${op.path} (${op.auth})`;

  it.each(protectedOps.map((op) => [label(op), op] as const))(
    '%s: 401 without a token and with an unknown one',
    async (_name, op) => {
      expectProblem(await call(op).send({}), 401);
      const res = await call(op).set('Authorization', 'Bearer not-a-token-0123456789').send({});
      expectProblem(res, 401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    },
  );

  it.each(protectedOps.filter((op) => op.auth !== 'viewer').map((op) => [label(op), op] as const))(
    '%s: 403 for the role below',
    async (_name, op) => {
      const below = op.auth === 'admin' ? 'operator' : 'viewer';
      const res = await call(op).set('Authorization', as(below)).send({});
      expectProblem(res, 403);
      expect(res.body.detail).toContain(`${op.auth} role`);
    },
  );

  it.each(protectedOps.map((op) => [label(op), op] as const))(
    '%s: allowed to its role (no 401/403)',
    async (_name, op) => {
      const res = await call(op).set('Authorization', as(op.auth)).send({});
      expect([401, 403]).not.toContain(res.status);
      if (RANK[op.auth] < RANK.admin) {
        const above = await call(op).set('Authorization', as('admin')).send({});
        expect([401, 403]).not.toContain(above.status);
      }
    },
  );

  it('every write is audited with the caller but never the token', async () => {
    await request(app)
      .post('/api/v1/halt')
      .set('Authorization', as('admin'))
      .send({ reason: 'audit me' });
    const entry = JSON.parse((await redis.lindex(keys.audit, 0))!);
    expect(entry).toMatchObject({ action: 'halt.engage', role: 'admin', reason: 'audit me' });
    expect(entry.actor).toMatch(/^admin:[0-9a-f]{8}$/);
    expect(JSON.stringify(entry)).not.toContain(TOKENS.admin[0]);
  });

  it('admins read the audit log newest first, a page at a time', async () => {
    for (const reason of ['first', 'second']) {
      await request(app).post('/api/v1/halt').set('Authorization', as('admin')).send({ reason });
    }
    await request(app).delete('/api/v1/halt').set('Authorization', as('admin')).expect(200);
    const page = await request(app)
      .get('/api/v1/audit?limit=2')
      .set('Authorization', as('admin'))
      .expect(200);
    expect(page.body.entries.map((e: { action: string }) => e.action)).toEqual([
      'halt.release',
      'halt.engage',
    ]);
    expect(page.body.entries[1]).toMatchObject({ reason: 'second', role: 'admin' });
    expect(page.body.total).toBeGreaterThanOrEqual(3);
    const next = await request(app)
      .get('/api/v1/audit?limit=1&offset=2')
      .set('Authorization', as('admin'))
      .expect(200);
    expect(next.body.entries[0]).toMatchObject({ action: 'halt.engage', reason: 'first' });
    const bad = await request(app)
      .get('/api/v1/audit?limit=0')
      .set('Authorization', as('admin'))
      .expect(400);
    expect(bad.body.errors[0].field).toBe('query.limit');
  });
});

describe('POST /api/v1/runs', () => {
  it.each([['3'], ['"a string"'], ['{"scenario": '], ['null']])(
    'refuses a body that is not a JSON object or array (%s) naming the body',
    async (body) => {
      const res = await request(app)
        .post('/api/v1/runs')
        .set('Authorization', as('operator'))
        .set('Content-Type', 'application/json')
        .send(body);
      expectProblem(res, 400);
      expect(res.body.errors).toEqual([{ field: 'body', message: expect.any(String) }]);
    },
  );

  it('queues a catalogue scenario: 202 with the record, its Location, a job and an audit entry', async () => {
    const res = await createRun({
      scenario: 'bad-deny-policy',
      overrides: { recovery: { holdFor: '30s' } },
    });
    expect(res.status).toBe(202);
    expect(res.headers['location']).toBe(`/api/v1/runs/${res.body.id}`);
    expect(res.body).toMatchObject({
      state: 'queued',
      target: { namespace: 'payments' },
      options: { dryRun: false },
    });
    expect(res.body.scenario.spec.recovery.holdFor).toBe('30s');
    expect(await queue.getJob(res.body.id)).toBeDefined();
    const audit = JSON.parse((await redis.lindex(keys.audit, 0))!);
    expect(audit).toMatchObject({ action: 'run.create', runId: res.body.id, role: 'operator' });
    expect(JSON.stringify(audit)).not.toContain(TOKENS.operator[0]);
  });

  it('accepts an inline scenario and names the bad field of an invalid one', async () => {
    const scenario = (
      await request(app).get('/api/v1/scenarios/bad-deny-policy').set('Authorization', as('viewer'))
    ).body;
    expect((await createRun({ scenario })).status).toBe(202);
    const broken = structuredClone(scenario);
    broken.spec.traffic.successThreshold = 2;
    const res = await createRun({ scenario: broken });
    expectProblem(res, 400);
    expect(res.body.errors[0].field).toBe('body.scenario.spec.traffic.successThreshold');
  });

  it.each([
    [{ scenario: 'no-such-scenario' }, 'body.scenario'],
    [
      { scenario: 'bad-deny-policy', overrides: { recovery: { holdFor: 'soon' } } },
      'body.overrides.recovery.holdFor',
    ],
    [{ scenario: 'bad-deny-policy', overrides: { fault: {} } }, 'body.overrides'],
    [{ scenario: 'bad-deny-policy', dryRun: 'yes' }, 'body.dryRun'],
    [{ scenario: 'bad-deny-policy', onTargetBusy: 'push' }, 'body.onTargetBusy'],
    [{ scenario: 'bad-deny-policy', extra: 1 }, 'body'],
    [{}, 'body.scenario'],
  ])('refuses %j naming %s', async (body, field) => {
    const res = await createRun(body);
    expectProblem(res, 400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('is refused with 409 while the kill switch is engaged', async () => {
    await request(app)
      .post('/api/v1/halt')
      .set('Authorization', as('admin'))
      .send({ reason: 'incident' })
      .expect(202);
    expectProblem(await createRun({ scenario: 'bad-deny-policy' }), 409);
    await request(app).delete('/api/v1/halt').set('Authorization', as('admin')).expect(200);
    expect((await createRun({ scenario: 'bad-deny-policy' })).status).toBe(202);
  });

  it('answers 415 to a body that is not JSON and 413 to an oversized one', async () => {
    const res = await request(app)
      .post('/api/v1/runs')
      .set('Authorization', as('operator'))
      .set('Content-Type', 'text/plain')
      .send('scenario=bad-deny-policy');
    expectProblem(res, 415);
    const huge = {
      scenario: 'bad-deny-policy',
      overrides: { traffic: { promql: 'x'.repeat(300_000) } },
    };
    expectProblem(await createRun(huge), 413);
    const malformed = await request(app)
      .post('/api/v1/runs')
      .set('Authorization', as('operator'))
      .set('Content-Type', 'application/json')
      .send('{"scenario":');
    expectProblem(malformed, 400);
  });
});

describe('GET /api/v1/runs', () => {
  async function seed(n: number, scenario = 'bad-deny-policy') {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await createRun({ scenario })).body.id as string);
    return ids;
  }
  const list = (query: string) =>
    request(app).get(`/api/v1/runs${query}`).set('Authorization', as('viewer'));

  it('pages newest first with a stable cursor, even while runs are added', async () => {
    const ids = await seed(7);
    const first = await list('?limit=3');
    expect(first.body.items.map((r: { id: string }) => r.id)).toEqual(ids.slice(-3).reverse());
    await seed(2);
    const second = await list(`?limit=3&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((r: { id: string }) => r.id)).toEqual(ids.slice(1, 4).reverse());
    const third = await list(`?limit=3&cursor=${second.body.nextCursor}`);
    expect(third.body.items.map((r: { id: string }) => r.id)).toEqual([ids[0]]);
    expect(third.body.nextCursor).toBeUndefined();
  });

  it('filters by scenario, state and time', async () => {
    const deny = await seed(2);
    const oom = await seed(1, 'istiod-oom');
    expect(
      (await list('?scenario=istiod-oom')).body.items.map((r: { id: string }) => r.id),
    ).toEqual(oom);
    expect((await list('?state=completed')).body.items).toEqual([]);
    expect((await list('?state=queued,failed')).body.items).toHaveLength(3);
    const created = Date.parse((await list('?limit=1')).body.items[0].createdAt);
    expect(
      (await list(`?to=${created}`)).body.items.map((r: { id: string }) => r.id),
    ).not.toContain(oom[0]);
    expect((await list(`?from=${new Date(created + 60_000).toISOString()}`)).body.items).toEqual(
      [],
    );
    expect(deny).toHaveLength(2);
  });

  it.each([
    ['?limit=0', 'query.limit'],
    ['?state=running', 'query.state.0'],
    ['?from=yesterday', 'query.from'],
    ['?cursor=garbage', 'query.cursor'],
    ['?colour=blue', 'query'],
  ])('refuses %s naming %s', async (query, field) => {
    const res = await list(query);
    expectProblem(res, 400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });
});

describe('one run', () => {
  it('get, events, abort; 404 for an unknown run, 400 for a malformed id', async () => {
    const id = (await createRun({ scenario: 'bad-deny-policy' })).body.id as string;
    const got = await request(app).get(`/api/v1/runs/${id}`).set('Authorization', as('viewer'));
    expect(got.body).toMatchObject({ id, state: 'queued', schemaVersion: 1 });

    const note = await request(app)
      .post(`/api/v1/runs/${id}/events`)
      .set('Authorization', as('operator'))
      .send({ type: 'acknowledged', author: 'Ada', text: 'on it' });
    expect(note.status).toBe(201);
    const events = await request(app)
      .get(`/api/v1/runs/${id}/events`)
      .set('Authorization', as('viewer'));
    expect(events.body.items).toEqual([
      expect.objectContaining({
        type: 'responder',
        event: 'acknowledged',
        author: 'Ada',
        text: 'on it',
      }),
    ]);
    const badNote = await request(app)
      .post(`/api/v1/runs/${id}/events`)
      .set('Authorization', as('operator'))
      .send({ type: 'fixed', author: 'Ada' });
    expectProblem(badNote, 400);
    expect(badNote.body.errors[0].field).toBe('body.type');

    const abort = await request(app)
      .post(`/api/v1/runs/${id}/abort`)
      .set('Authorization', as('operator'))
      .send({ reason: 'wrong day' });
    expect(abort.status).toBe(202);
    expect(await store.abortRequest(id)).toMatchObject({ reason: 'wrong day' });

    expectProblem(
      await request(app).get('/api/v1/runs/no-such-run').set('Authorization', as('viewer')),
      404,
    );
    const malformed = await request(app)
      .get('/api/v1/runs/..%2Fetc')
      .set('Authorization', as('viewer'));
    expectProblem(malformed, 400);
  });

  it('renders its report as JSON, Markdown, HTML and JUnit; refuses an unknown format', async () => {
    const id = (await createRun({ scenario: 'bad-deny-policy' })).body.id as string;
    const get = (format: string) =>
      request(app)
        .get(`/api/v1/runs/${id}/report?format=${format}`)
        .set('Authorization', as('viewer'));
    expect((await get('json')).body).toMatchObject({ reportVersion: 1 });
    expect((await get('md')).headers['content-type']).toMatch(/^text\/markdown/);
    const html = await get('html');
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.text).toContain('bad-deny-policy');
    expect((await get('junit')).text).toMatch(/<testsuites[\s>]/);
    const bad = await get('pdf');
    expectProblem(bad, 400);
    expect(bad.body.errors[0].field).toBe('query.format');
  });

  it('abort of a run that already ended: 409', async () => {
    const id = (await createRun({ scenario: 'bad-deny-policy' })).body.id as string;
    const record = (await store.get(id))!;
    await redis.set(keys.run(id), JSON.stringify({ ...record, state: 'completed' }));
    expectProblem(
      await request(app)
        .post(`/api/v1/runs/${id}/abort`)
        .set('Authorization', as('operator'))
        .send({}),
      409,
    );
  });
});

describe('halt', () => {
  it('engages, shows and releases the kill switch, with the actor recorded', async () => {
    const engaged = await request(app)
      .post('/api/v1/halt')
      .set('Authorization', as('admin'))
      .send({ reason: 'incident in prod' });
    expect(engaged.status).toBe(202);
    const shown = await request(app).get('/api/v1/halt').set('Authorization', as('viewer'));
    expect(shown.body).toMatchObject({
      halted: true,
      reason: 'incident in prod',
      by: expect.stringMatching(/^admin:/),
    });
    const missing = await request(app)
      .post('/api/v1/halt')
      .set('Authorization', as('admin'))
      .send({});
    expectProblem(missing, 400);
    expect(missing.body.errors[0].field).toBe('body.reason');
    await request(app).delete('/api/v1/halt').set('Authorization', as('admin')).expect(200);
    expect(
      (await request(app).get('/api/v1/halt').set('Authorization', as('viewer'))).body,
    ).toEqual({ halted: false });
  });
});

describe('scenarios', () => {
  it('lists the catalogue and gets one', async () => {
    const list = await request(app).get('/api/v1/scenarios').set('Authorization', as('viewer'));
    expect(list.body.items.map((s: { name: string }) => s.name)).toContain('istiod-oom');
    expect(list.body.errors).toEqual([]);
    expectProblem(
      await request(app).get('/api/v1/scenarios/nope').set('Authorization', as('viewer')),
      404,
    );
  });

  it('validates JSON and YAML uploads, naming the bad field', async () => {
    const scenario = (
      await request(app).get('/api/v1/scenarios/istiod-oom').set('Authorization', as('viewer'))
    ).body;
    const ok = await request(app)
      .post('/api/v1/scenarios/validate')
      .set('Authorization', as('viewer'))
      .send(scenario);
    expect(ok.body).toMatchObject({ valid: true, kind: 'Scenario', name: 'istiod-oom' });
    const yaml =
      'apiVersion: gameday/v1\nkind: Scenario\nmetadata: { name: x }\nspec:\n  target: { namespace: payments }\n  fault: { type: deny-policy }\n  detection: { alerts: [ { alertname: A } ] }\n  traffic: { promql: "vector(1)", interval: soon }\n';
    const bad = await request(app)
      .post('/api/v1/scenarios/validate')
      .set('Authorization', as('viewer'))
      .set('Content-Type', 'application/yaml')
      .send(yaml);
    expectProblem(bad, 422);
    expect(bad.body.errors[0].field).toBe('spec.traffic.interval');
    const laughs = `a: &a [x,x,x,x,x,x,x,x,x,x]\n${Array.from({ length: 12 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`).join('\n')}\n`;
    const bomb = await request(app)
      .post('/api/v1/scenarios/validate')
      .set('Authorization', as('viewer'))
      .set('Content-Type', 'application/yaml')
      .send(laughs);
    expect([400, 422]).toContain(bomb.status);
  });
});

describe('Alertmanager webhook', () => {
  const payload = WEBHOOK_PAYLOAD;

  it('takes notifications with its own secret only', async () => {
    const path = '/api/v1/alertmanager/webhook';
    expectProblem(await request(app).post(path).send(payload), 401);
    expectProblem(
      await request(app).post(path).set('Authorization', as('admin')).send(payload),
      401,
    );
    const ok = await request(app)
      .post(path)
      .set('Authorization', `Bearer ${WEBHOOK_SECRET}`)
      .send(payload);
    expect(ok.status).toBe(202);
    expect((await store.webhookAlertsSince('-')).observations).toHaveLength(1);
    const bad = await request(app)
      .post(path)
      .set('Authorization', `Bearer ${WEBHOOK_SECRET}`)
      .send({ version: '4', alerts: [{}] });
    expectProblem(bad, 400);
  });
});

describe('OpenAPI document', () => {
  interface Layer {
    route?: { path: string; methods: Record<string, boolean> };
    handle?: { stack?: Layer[] };
  }
  function served(stack: Layer[]): string[] {
    return stack.flatMap((layer) => {
      if (layer.route) {
        return Object.keys(layer.route.methods).map((m) => `${m} ${layer.route!.path}`);
      }
      return layer.handle?.stack ? served(layer.handle.stack) : [];
    });
  }

  it('is valid OpenAPI 3.1 and describes exactly the routes the app serves', async () => {
    const res = await request(app).get('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    const result = await validate(res.body);
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    const routes = served((app as unknown as { router: { stack: Layer[] } }).router.stack);
    const documented = OPERATIONS.map((op) => `${op.method} ${op.path}`);
    expect([...new Set(routes)].sort()).toEqual([...documented].sort());
    expect(
      res.body.paths['/api/v1/runs'].post.requestBody.content['application/json'].schema.properties,
    ).toHaveProperty('overrides');
  });
});

describe('GET /api/v1/trends', () => {
  const at = Date.UTC(2026, 10, 10, 12);
  const record = (id: string, ttd: number | null, scenario = 'istiod-oom'): RunRecord =>
    ({
      schemaVersion: 1,
      id,
      scenario: { metadata: { name: scenario } },
      target: { context: '', namespace: 'istio-system' },
      options: { dryRun: false, allowMeshWide: true, onTargetBusy: 'wait' },
      createdBy: 'test',
      createdAt: at,
      updatedAt: at,
      state: 'completed',
      outcome: 'completed',
      preflightFindings: [],
      toolVersion: 'test',
      result: {
        t0: at,
        timeToDetect: ttd,
        timeToRecover: 30,
        detection: {
          status: ttd === null ? 'undetected' : 'detected',
          collateral: [],
          preexisting: [],
        },
        recovery: { impact: 'impact', status: 'recovered', timeToRecoverMs: 30_000 },
        verdict: { outcome: ttd === null ? 'fail' : 'pass', objectives: [] },
      },
    }) as unknown as RunRecord;

  it('aggregates indexed runs per scenario and bucket, and names a bad parameter', async () => {
    const index = new TrendIndex(redis);
    await index.record(record('r1', 10));
    await index.record(record('r2', 30));
    await index.record(record('r3', null));
    const res = await request(app)
      .get(
        `/api/v1/trends?scenario=istiod-oom&bucket=month&from=${at - 86_400_000}&to=${at + 86_400_000}`,
      )
      .set('Authorization', as('viewer'));
    expect(res.status).toBe(200);
    const [trend] = res.body.scenarios;
    expect(trend.scenario).toBe('istiod-oom');
    expect(trend.overall).toMatchObject({ count: 3, detectionRate: 2 / 3 });
    expect(trend.overall.mttd.mean).toBe(20);
    const bad = await request(app)
      .get('/api/v1/trends?bucket=day')
      .set('Authorization', as('viewer'));
    expectProblem(bad, 400);
    expect(bad.body.errors[0].field).toBe('query.bucket');
  });
});

describe('schedules', () => {
  const path = '/api/v1/schedules';
  const post = (body: object, role: keyof typeof TOKENS = 'operator') =>
    request(app).post(path).set('Authorization', as(role)).send(body);

  it('creates, lists, changes and removes a cron schedule, showing next times in its time zone', async () => {
    const created = await post({
      id: 'weekly-oom',
      scenario: 'istiod-oom',
      schedule: { cron: '0 10 * * 6', timezone: 'Europe/Berlin' },
      allowMeshWide: true,
    });
    expect(created.status).toBe(201);
    expect(created.body.next).toHaveLength(3);
    // 10:00 in Berlin in November (CET, UTC+1) is 09:00 UTC, on Saturdays.
    for (const time of created.body.next as string[]) {
      expect(time).toMatch(/T09:00:00\.000Z$/);
      expect(new Date(time).getUTCDay()).toBe(6);
    }
    const listed = await request(app).get(path).set('Authorization', as('viewer'));
    expect(listed.body.items).toEqual([
      expect.objectContaining({
        id: 'weekly-oom',
        kind: 'scenario',
        name: 'istiod-oom',
        allowMeshWide: true,
      }),
    ]);
    const changed = await request(app)
      .put(`${path}/weekly-oom`)
      .set('Authorization', as('operator'))
      .send({ scenario: 'istiod-oom', schedule: '30 6 * * 1' });
    expect(changed.status).toBe(200);
    expect(changed.body.schedule).toEqual({ cron: '30 6 * * 1', timezone: 'UTC' });
    expect(
      (await request(app).get(`${path}/weekly-oom`).set('Authorization', as('viewer'))).body
        .schedule.cron,
    ).toBe('30 6 * * 1');
    await request(app)
      .delete(`${path}/weekly-oom`)
      .set('Authorization', as('operator'))
      .expect(204);
    expectProblem(
      await request(app).delete(`${path}/weekly-oom`).set('Authorization', as('operator')),
      404,
    );
    expect((await request(app).get(path).set('Authorization', as('viewer'))).body.items).toEqual(
      [],
    );
  });

  it.each([
    [{ id: 'x', scenario: 'istiod-oom', schedule: '0 10 * *' }, 'body.schedule'],
    [
      {
        id: 'x',
        scenario: 'istiod-oom',
        schedule: { cron: '0 10 * * 6', timezone: 'Mars/Olympus' },
      },
      'body.schedule.timezone',
    ],
    [{ id: 'x', scenario: 'nope', schedule: '0 10 * * 6' }, 'body.scenario'],
    [{ id: 'x', scenario: 'istiod-oom', gameday: 'g', schedule: '0 10 * * 6' }, 'body.scenario'],
    [{ id: 'Not_A_Label', scenario: 'istiod-oom', schedule: '0 10 * * 6' }, 'body.id'],
  ])('refuses %j naming %s', async (body, field) => {
    const res = await post(body);
    expectProblem(res, 400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('is refused to a viewer', async () => {
    expectProblem(
      await post({ id: 'x', scenario: 'istiod-oom', schedule: '0 10 * * 6' }, 'viewer'),
      403,
    );
  });

  it('when it fires, starts a run of the catalogue scenario as the schedule', async () => {
    const outcome = await startScheduled(
      { store, queue, clock: systemClock, catalogue: directoryCatalogue('scenarios') },
      {
        scheduleId: 'weekly-deny',
        kind: 'scenario',
        name: 'bad-deny-policy',
        allowMeshWide: false,
        dryRun: true,
        createdBy: 'operator:1234',
      },
    );
    expect(outcome.kind).toBe('started');
    const run = await store.mustGet((outcome as { runId: string }).runId);
    expect(run).toMatchObject({ createdBy: 'schedule:weekly-deny', options: { dryRun: true } });
    const skipped = await startScheduled(
      { store, queue, clock: systemClock, catalogue: directoryCatalogue('scenarios') },
      {
        scheduleId: 'gone',
        kind: 'scenario',
        name: 'removed-scenario',
        allowMeshWide: false,
        dryRun: false,
        createdBy: 'x',
      },
    );
    expect(skipped).toEqual({
      kind: 'skipped',
      reason: 'no scenario named removed-scenario in the catalogue',
    });
  });
});

describe('GameDays', () => {
  const gameday = {
    apiVersion: 'gameday/v1',
    kind: 'GameDay',
    metadata: { name: 'quarterly' },
    spec: {
      scenarios: ['bad-deny-policy', 'istiod-oom'],
      pauseBetween: '2m',
      participants: [{ name: 'Ada', role: 'commander' }],
    },
  };

  it('starts an inline GameDay as a parent record and names a bad field', async () => {
    const res = await request(app)
      .post('/api/v1/gamedays')
      .set('Authorization', as('operator'))
      .send({ gameday, allowMeshWide: true });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      kind: 'GameDay',
      state: 'running',
      children: [],
      pauseBetweenMs: 120_000,
    });
    expect(res.body.scenarios.map((s: { metadata: { name: string } }) => s.metadata.name)).toEqual([
      'bad-deny-policy',
      'istiod-oom',
    ]);
    const got = await request(app)
      .get(`/api/v1/gamedays/${res.body.id}`)
      .set('Authorization', as('viewer'));
    expect(got.body.id).toBe(res.body.id);

    const unknown = await request(app)
      .post('/api/v1/gamedays')
      .set('Authorization', as('operator'))
      .send({ gameday: { ...gameday, spec: { ...gameday.spec, scenarios: ['nope'] } } });
    expectProblem(unknown, 400);
    const broken = await request(app)
      .post('/api/v1/gamedays')
      .set('Authorization', as('operator'))
      .send({ gameday: { ...gameday, spec: { ...gameday.spec, pauseBetween: 'later' } } });
    expectProblem(broken, 400);
    expect(broken.body.errors[0].field).toBe('body.gameday.spec.pauseBetween');
    expectProblem(
      await request(app).get('/api/v1/gamedays/nope').set('Authorization', as('viewer')),
      404,
    );
  });

  it('renders the combined report in every format, in progress and with its child runs', async () => {
    const created = await request(app)
      .post('/api/v1/gamedays')
      .set('Authorization', as('operator'))
      .send({ gameday, allowMeshWide: true });
    const id = created.body.id as string;
    const get = (format: string, gameDayId = id) =>
      request(app)
        .get(`/api/v1/gamedays/${gameDayId}/report?format=${format}`)
        .set('Authorization', as('viewer'));

    // No child yet: still renders, marked in progress.
    const early = await get('json');
    expect(early.status).toBe(200);
    expect(early.body).toMatchObject({
      reportVersion: 1,
      kind: 'GameDayReport',
      gameDay: { id, inProgress: true, participants: [{ name: 'Ada', role: 'commander' }] },
      verdict: { outcome: null },
    });
    expect(early.body.summary.map((r: { state: string }) => r.state)).toEqual([
      'not started',
      'not started',
    ]);

    // A first child run (as the worker would start it), with a responder note.
    const child = await submitRun(
      { store, queue, clock: systemClock },
      {
        scenario: (await directoryCatalogue('scenarios')()).scenarios.get('bad-deny-policy')!,
        createdBy: 'test',
        parentId: id,
        id: `${id}-1`,
      },
    );
    const gameDays = new GameDayStore(store);
    await gameDays.save({ ...(await gameDays.get(id))!, children: [child.id] });
    await request(app)
      .post(`/api/v1/runs/${child.id}/events`)
      .set('Authorization', as('operator'))
      .send({ type: 'diagnosed', author: 'Ada', text: 'typo in the <DENY> rule' })
      .expect(201);

    const md = await get('md');
    expect(md.headers['content-type']).toMatch(/^text\/markdown/);
    expect(md.headers['content-disposition']).toBe(`inline; filename="gameday-${id}.md"`);
    expect(md.text).toMatch(/^# GameDay quarterly: IN PROGRESS$/m);
    const firstSection = md.text.slice(md.text.indexOf('## Scenario 1: bad-deny-policy'));
    expect(firstSection).toContain('Ada diagnosed: typo in the \\<DENY\\> rule');
    expect(md.text).toContain(`| 1 | bad-deny-policy | ${child.id} | queued |`);
    expect(md.text).toContain('## Scenario 2: istiod-oom — NOT STARTED');

    const html = await get('html');
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.headers['content-disposition']).toBe(`inline; filename="gameday-${id}.html"`);
    expect(html.text).toContain('typo in the &lt;DENY&gt; rule');
    const junit = await get('junit');
    expect(junit.headers['content-type']).toMatch(/^application\/xml/);
    expect(junit.text.match(/<testsuite /g)).toHaveLength(2);
    expect((await get('json')).headers['content-disposition']).toBeUndefined();

    const bad = await get('pdf');
    expectProblem(bad, 400);
    expect(bad.body.errors[0].field).toBe('query.format');
    expectProblem(await get('md', 'gd-no-such-gameday'), 404);
    expectProblem(await get('md', '..%2Fetc'), 400);
  });
});

describe('write rate limit', () => {
  it('answers 429 with Retry-After past the limit, per token, and leaves reads alone', async () => {
    let now = Date.UTC(2026, 10, 22, 10);
    const limited = createTestApp({
      store,
      queue,
      logger: createLogger({ name: 'api-test', level: 'silent', format: 'json' }),
      clock: { now: () => now },
      writesPerMinute: 3,
    });
    const note = (role: keyof typeof TOKENS) =>
      request(limited).post('/api/v1/halt').set('Authorization', as(role)).send({ reason: 'x' });
    for (let i = 0; i < 3; i++) expect((await note('admin')).status).toBe(202);
    const refused = await note('admin');
    expectProblem(refused, 429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(
      (await request(limited).get('/api/v1/halt').set('Authorization', as('admin'))).status,
    ).toBe(200);
    expect((await note('operator')).status).toBe(403); // another token has its own budget
    now += 61_000;
    expect((await note('admin')).status).toBe(202);
    await store.release();
  });
});
