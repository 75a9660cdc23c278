import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS } from '../../api/openapi.js';
import type { AuditEvent } from '../../lab/index.js';
import { labScenario } from '../../lab/scenarios.js';
import type { Role } from '../../src/config.js';
import { keys } from '../../src/run/keys.js';
import type { RunRecord } from '../../src/run/types.js';
import { createRunWorker } from '../../src/run/worker.js';
import { loadScenarioFile, type Scenario } from '../../src/scenario/index.js';
import { RUNS_QUEUE } from '../../src/queue.js';
import { startWorkerHost } from '../../src/worker-host.js';
import {
  API_TOKENS,
  API_WEBHOOK_SECRET,
  bearer,
  captureLogger,
  startApiTestApp,
  type ApiTestApp,
} from '../support/api-app.js';
import { waitFor } from '../support/index.js';
import {
  startRunHarness,
  TOKENS,
  WEBHOOK_SECRET,
  type RunHarness,
} from '../support/run-harness.js';
import {
  addSecretData,
  redisValues,
  SecretScanner,
  watchLabSecrets,
  type Leak,
} from '../support/secret-scan.js';

// SPEC §8 security, against a real stack (Redis, the mesh lab, Prometheus, Alertmanager, a
// worker): who may write what, the webhook secret, and after real runs — a cert-expiry that
// makes private keys, a DENY policy, and runs that ask for namespaces outside the allowlist —
// no credential in any Redis value, log line or report, and no write outside the allowlist.

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
const ROLES: Role[] = ['viewer', 'operator', 'admin'];
const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

let harness: RunHarness;
let api: ApiTestApp;
const workerLogs = captureLogger('security-worker', 'trace');
let stopWorker: (() => Promise<void>) | undefined;
let labSecrets: ReturnType<typeof watchLabSecrets>;
const labRequests: AuditEvent[] = [];
let unsubscribe: () => void;

beforeAll(async () => {
  harness = await startRunHarness();
  unsubscribe = harness.lab.onRequest((event) => labRequests.push(event));
  labSecrets = watchLabSecrets(harness.lab);
  // This test's own API (tokens of its own, every log line kept) on the stack's Redis.
  api = await startApiTestApp({ redisUrl: harness.redis.url, logLevel: 'trace' });
}, 180_000);

/** The worker, every log line kept; started once the API-only tests are done. */
async function ensureWorker(): Promise<void> {
  if (stopWorker) return;
  const parts = createRunWorker({
    config: harness.config,
    logger: workerLogs.logger,
    worker: 'security-worker',
  });
  const host = startWorkerHost({
    redisUrl: harness.redis.url,
    queueName: RUNS_QUEUE,
    concurrency: 4,
    lockDurationMs: harness.config.worker.leaseDurationMs,
    processor: parts.processor,
    logger: workerLogs.logger,
  });
  await host.ready;
  stopWorker = async () => {
    await host.shutdown(10_000);
    await parts.close();
  };
}

afterAll(async () => {
  unsubscribe?.();
  labSecrets?.stop();
  await stopWorker?.();
  await api?.close();
  await harness?.stop();
}, 60_000);

describe('every write endpoint × role', () => {
  const writes = OPERATIONS.filter(
    (op): op is (typeof OPERATIONS)[number] & { auth: Role } =>
      op.method !== 'get' && op.auth in RANK,
  );

  /** A valid call of each write, with what it needs set up first. */
  const CALLS: Record<string, () => Promise<{ path: string; body?: object; status: number }>> = {
    'post /api/v1/scenarios/validate': async () => ({
      path: '/api/v1/scenarios/validate',
      body: (await loadScenarioFile('scenarios/istiod-oom.yaml')).documents[0]!,
      status: 200,
    }),
    'post /api/v1/runs': async () => ({
      path: '/api/v1/runs',
      body: { scenario: 'bad-deny-policy', dryRun: true },
      status: 202,
    }),
    'post /api/v1/runs/:id/abort': async () => ({
      path: `/api/v1/runs/${await queuedRun()}/abort`,
      body: { reason: 'matrix' },
      status: 202,
    }),
    'post /api/v1/runs/:id/events': async () => ({
      path: `/api/v1/runs/${await queuedRun()}/events`,
      body: { type: 'acknowledged', author: 'Ada' },
      status: 201,
    }),
    'post /api/v1/gamedays': async () => ({
      path: '/api/v1/gamedays',
      body: { gameday: 'mesh-failures', dryRun: true, allowMeshWide: true },
      status: 202,
    }),
    'post /api/v1/schedules': async () => ({
      path: '/api/v1/schedules',
      body: { id: `matrix-${++serial}`, scenario: 'istiod-oom', schedule: '0 10 * * 6' },
      status: 201,
    }),
    'put /api/v1/schedules/:id': async () => ({
      path: `/api/v1/schedules/${await schedule()}`,
      body: { scenario: 'istiod-oom', schedule: '30 6 * * 1' },
      status: 200,
    }),
    'delete /api/v1/schedules/:id': async () => ({
      path: `/api/v1/schedules/${await schedule()}`,
      status: 204,
    }),
    'post /api/v1/halt': async () => ({
      path: '/api/v1/halt',
      body: { reason: 'matrix' },
      status: 202,
    }),
    'delete /api/v1/halt': async () => ({ path: '/api/v1/halt', status: 200 }),
  };
  let serial = 0;
  async function queuedRun(): Promise<string> {
    const res = await request(api.url)
      .post('/api/v1/runs')
      .set('Authorization', bearer('operator'))
      .send({ scenario: 'bad-deny-policy', dryRun: true });
    expect(res.status).toBe(202);
    return res.body.id as string;
  }
  async function schedule(): Promise<string> {
    const id = `matrix-${++serial}`;
    await request(api.url)
      .post('/api/v1/schedules')
      .set('Authorization', bearer('operator'))
      .send({ id, scenario: 'istiod-oom', schedule: '0 10 * * 6' })
      .expect(201);
    return id;
  }

  // The matrix queued runs and a GameDay (dry-run; no worker yet): the worker ends them all
  // under the kill switch before the real runs.
  afterAll(async () => {
    await harness.store.halt({ by: 'test', reason: 'matrix done', at: Date.now() });
    await ensureWorker();
    await waitFor(async () => (await harness.store.activeRunIds()).length === 0, {
      description: 'the runs of the matrix ended',
      timeoutMs: 60_000,
    });
    await harness.store.release();
  }, 90_000);

  it('knows a valid call of every write endpoint the API documents', () => {
    expect(writes.map((op) => `${op.method} ${op.path}`).sort()).toEqual(Object.keys(CALLS).sort());
  });

  const cases = writes.flatMap((op) =>
    [undefined, ...ROLES].map(
      (role) => [`${op.method} ${op.path}`, role ?? 'no token', op, role] as const,
    ),
  );

  it.each(cases)(
    '%s as %s: allowed with a valid body exactly from its role up, with no effect otherwise',
    async (name, _label, op, role) => {
      const call = await CALLS[name]!();
      const auditBefore = await api.redis.llen(keys.audit);
      let req = (request(api.url) as unknown as Record<string, (p: string) => request.Test>)[
        op.method
      ]!(call.path);
      if (role) req = req.set('Authorization', bearer(role));
      const res = call.body ? await req.send(call.body) : await req;
      if (role !== undefined && RANK[role] >= RANK[op.auth]) {
        expect(res.status, res.text).toBe(call.status);
        // Validation writes nothing; every other write is audited: the check below can fail.
        const audited = name === 'post /api/v1/scenarios/validate' ? 0 : 1;
        expect(await api.redis.llen(keys.audit)).toBe(auditBefore + audited);
        if (name === 'post /api/v1/halt') {
          await request(api.url).delete('/api/v1/halt').set('Authorization', bearer('admin'));
        }
        return;
      }
      expect(res.status, res.text).toBe(role === undefined ? 401 : 403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      // Refused before anything was done: every write the API does is audited.
      expect(await api.redis.llen(keys.audit)).toBe(auditBefore);
    },
  );
});

describe('Alertmanager webhook secret', () => {
  const path = '/api/v1/alertmanager/webhook';
  const payload = { version: '4', alerts: [] };
  const post = (authorization?: string) => {
    const req = request(api.url).post(path);
    return (authorization === undefined ? req : req.set('Authorization', authorization)).send(
      payload,
    );
  };

  it.each([
    ['missing', undefined],
    ['empty', 'Bearer '],
    ['blank', 'Bearer    '],
    ['wrong', 'Bearer not-the-webhook-secret-at-all-00000'],
    ['a prefix of it', `Bearer ${API_WEBHOOK_SECRET.slice(0, -1)}`],
    ['it plus one character', `Bearer ${API_WEBHOOK_SECRET}x`],
    ['it in another case', `Bearer ${API_WEBHOOK_SECRET.toUpperCase()}`],
    ['another scheme', `Basic ${API_WEBHOOK_SECRET}`],
    ['without a scheme', API_WEBHOOK_SECRET],
    ['an admin API token', bearer('admin')],
  ])('refuses a secret that is %s with 401, before reading the body', async (_name, header) => {
    const res = await post(header);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    // An oversized or malformed body is not even read without the secret.
    const huge = request(api.url)
      .post(path)
      .set('Content-Type', 'application/json')
      .send(`{"version":"4","alerts":[${'{},'.repeat(600_000)}`);
    const refused = await (header === undefined ? huge : huge.set('Authorization', header));
    expect(refused.status).toBe(401);
  });

  it('takes the exact secret', async () => {
    const res = await post(`Bearer ${API_WEBHOOK_SECRET}`);
    expect(res.status).toBe(202);
  });

  it('the API tokens and the webhook secret are not interchangeable', async () => {
    const res = await request(api.url)
      .get('/api/v1/halt')
      .set('Authorization', `Bearer ${API_WEBHOOK_SECRET}`);
    expect(res.status).toBe(401);
  });
});

// ---------------------------------------------------------------------------------------------
// Real runs, then the scans.

/** A lab-speed catalogue scenario; responders mode becomes auto, holds shortened. */
async function scenario(file: string, change: (s: Scenario) => void = () => undefined) {
  const loaded = (await loadScenarioFile(`scenarios/${file}`)).documents[0] as Scenario;
  const scaled = labScenario(loaded, { gateway: harness.lab.gateway!, respondersAsAuto: true });
  scaled.spec.recovery.holdFor = '5s';
  change(scaled);
  return scaled;
}

async function start(body: object): Promise<string> {
  const res = await request(api.url)
    .post('/api/v1/runs')
    .set('Authorization', bearer('operator'))
    .send(body);
  expect(res.status, res.text).toBe(202);
  return res.body.id as string;
}

const ALLOWLIST = () => harness.config.namespaceAllowlist;
let records: RunRecord[] = [];
let hostile: RunRecord[] = [];

describe('real runs', () => {
  it('a cert-expiry and a DENY-policy run complete and revert; runs that reach outside the allowlist fail without writing', async () => {
    await ensureWorker();
    expect(ALLOWLIST()).not.toContain('kube-system');
    expect(ALLOWLIST()).not.toContain('default');
    const certExpiry = await scenario('gateway-cert-expiry.yaml');
    const deny = await scenario('bad-deny-policy.yaml');
    await Promise.all([harness.settle(certExpiry), harness.settle(deny)]);
    const legit = await Promise.all([start({ scenario: certExpiry }), start({ scenario: deny })]);
    const outside = await Promise.all([
      // The scenario's own target is outside the allowlist.
      start({
        scenario: await scenario('bad-deny-policy.yaml', (s) => {
          s.spec.target.namespace = 'kube-system';
        }),
      }),
      // A catalogue scenario sent elsewhere by a run override.
      start({ scenario: 'bad-deny-policy', overrides: { target: { namespace: 'default' } } }),
      // The target is allowlisted; the fault's params point at a Gateway outside it.
      start({
        scenario: await scenario('gateway-cert-expiry.yaml', (s) => {
          s.metadata.name = 'cert-expiry-elsewhere';
          s.spec.target.namespace = 'payments';
          (s.spec.fault.params as { gateway: object }).gateway = {
            name: 'shop-gateway',
            namespace: 'kube-system',
          };
        }),
      }),
    ]);
    hostile = await Promise.all(outside.map((id) => harness.waitForEnd(id, 60_000)));
    records = await Promise.all(legit.map((id) => harness.waitForEnd(id, 180_000)));
    for (const record of records) {
      expect(record.state, record.summary).toBe('completed');
      expect(record.result.revertVerification?.state).toBe('reverted');
    }
    for (const record of hostile) {
      expect(record.state, record.summary).toBe('failed');
      expect(record.summary).toMatch(/allowlist/);
      expect(await harness.store.journalEntries(record.id)).toEqual([]);
    }
    // The cert-expiry run made a Secret with a private key: the scans below look for it.
    expect(
      labSecrets.secrets.some(
        (s) => s.metadata?.labels?.['app.kubernetes.io/managed-by'] === 'gameday',
      ),
    ).toBe(true);
  }, 300_000);

  it('sent no write to a namespace outside the allowlist, whatever the scenarios asked', () => {
    const writes = labRequests.filter((r) => WRITE_VERBS.has(r.verb));
    const outside = writes.filter(
      (w) => w.namespace === undefined || !ALLOWLIST().includes(w.namespace),
    );
    expect(
      outside.map(
        (w) => `${w.user} ${w.verb} ${w.resource} ${w.namespace ?? '(cluster)'}/${w.name ?? ''}`,
      ),
    ).toEqual([]);
    // The hook saw the legitimate runs' writes, so it would have seen others.
    const seen = new Set(writes.map((w) => `${w.verb} ${w.resource} ${w.namespace}`));
    expect(seen).toContain('create secrets istio-system');
    expect(seen).toContain('create authorizationpolicies payments');
  });
});

describe('no credential leaks', () => {
  function scanner(): SecretScanner {
    const s = new SecretScanner();
    for (const role of ROLES) {
      for (const token of API_TOKENS[role]) s.add({ label: `the ${role} API token`, value: token });
      for (const token of TOKENS[role]) s.add({ label: `the stack's ${role} token`, value: token });
    }
    s.add({ label: 'the webhook secret', value: API_WEBHOOK_SECRET });
    s.add({ label: "the stack's webhook secret", value: WEBHOOK_SECRET });
    s.add({ label: "the lab's admin token", value: harness.lab.adminToken });
    addSecretData(s, labSecrets.secrets);
    return s;
  }

  async function reports(): Promise<Array<{ where: string; text: string }>> {
    const out: Array<{ where: string; text: string }> = [];
    for (const record of [...records, ...hostile]) {
      for (const format of ['json', 'md', 'html', 'junit']) {
        const res = await request(api.url)
          .get(`/api/v1/runs/${record.id}/report?format=${format}`)
          .set('Authorization', bearer('viewer'));
        expect(res.status).toBe(200);
        out.push({ where: `report ${record.id}.${format}`, text: res.text });
      }
      const events = await request(api.url)
        .get(`/api/v1/runs/${record.id}/events`)
        .set('Authorization', bearer('viewer'));
      out.push({ where: `events ${record.id}`, text: events.text });
    }
    return out;
  }

  async function everything() {
    return [
      ...(await redisValues(api.redis)).map(({ key, text }) => ({ where: `redis ${key}`, text })),
      ...api.logs.map((text, i) => ({ where: `API log line ${i + 1}`, text })),
      ...workerLogs.lines.map((text, i) => ({ where: `worker log line ${i + 1}`, text })),
      ...(await reports()),
    ];
  }

  const leaksIn = (s: SecretScanner, places: Array<{ where: string; text: string }>): Leak[] =>
    places.flatMap(({ where, text }) => s.scan(where, text));

  it('the scan finds a planted token, webhook secret and private key (it can fail)', async () => {
    const s = scanner();
    const key = labSecrets.secrets.find((x) =>
      Object.keys((x as { data?: object }).data ?? {}).includes('tls.key'),
    ) as { data: Record<string, string> } | undefined;
    expect(key, 'a lab Secret with tls.key').toBeDefined();
    const pem = Buffer.from(key!.data['tls.key']!, 'base64').toString('utf8');
    const bodyLine = pem.split('\n')[3]!;
    const planted = {
      'gameday:v1:planted:token': `{"note":"${API_TOKENS.operator[0]}"}`,
      'gameday:v1:planted:webhook': `x ${Buffer.from(WEBHOOK_SECRET).toString('base64')} y`,
      'gameday:v1:planted:key-line': JSON.stringify({ reason: `failed: ${bodyLine}` }),
    };
    await api.redis.hset('gameday:v1:planted:hash', 'pem', JSON.stringify(pem));
    for (const [k, v] of Object.entries(planted)) await api.redis.set(k, v);
    await api.redis.xadd('gameday:v1:planted:stream', '*', 'token', harness.lab.adminToken);
    try {
      const found = leaksIn(
        s,
        (await redisValues(api.redis)).map(({ key, text }) => ({ where: key, text })),
      ).filter((l) => l.where.includes('planted'));
      expect(new Set(found.map((l) => l.where.replace(/^\w+ /, '')))).toEqual(
        new Set([...Object.keys(planted), 'gameday:v1:planted:hash', 'gameday:v1:planted:stream']),
      );
      expect(found.map((l) => l.label)).toContain('a PEM private key block');
    } finally {
      await api.redis.del(
        ...Object.keys(planted),
        'gameday:v1:planted:hash',
        'gameday:v1:planted:stream',
      );
    }
    expect(s.scan('log', `{"msg":"auth","header":"${bearer('admin')}"}`)).not.toEqual([]);
  });

  it('no token, webhook secret or private key in any Redis value, log line or report', async () => {
    // A webhook notification and a failed login through the logged API, as in production.
    await request(api.url)
      .post('/api/v1/alertmanager/webhook')
      .set('Authorization', `Bearer ${API_WEBHOOK_SECRET}`)
      .send({ version: '4', alerts: [] })
      .expect(202);
    await request(api.url)
      .get('/api/v1/runs')
      .set('Authorization', `Bearer ${API_TOKENS.admin[0]}-almost`)
      .expect(401);
    const s = scanner();
    const places = await everything();
    // The scan covered real material: keys of the lab and of the run, logs of both processes.
    expect(s.size).toBeGreaterThan(20);
    expect(places.filter((p) => p.where.startsWith('redis ')).length).toBeGreaterThan(20);
    expect(workerLogs.lines.length).toBeGreaterThan(10);
    expect(api.logs.length).toBeGreaterThan(10);
    const leaks = leaksIn(s, places);
    expect(leaks.map((l) => `${l.label} in ${l.where}`)).toEqual([]);
  });
});
