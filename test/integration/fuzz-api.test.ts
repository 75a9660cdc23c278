import fc from 'fast-check';
import request from 'supertest';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/config.js';
import { loadScenarioDirectory, type Manifest } from '../../src/scenario/index.js';
import {
  API_WEBHOOK_SECRET,
  bearer,
  startApiTestApp,
  WEBHOOK_PAYLOAD,
  type ApiTestApp,
} from '../support/api-app.js';
import {
  checkProperty,
  hostileJson,
  INTERNALS,
  mutationOf,
  parseField,
  related,
  runsFor,
  type Mutation,
  type Segment,
} from '../support/fuzz.js';

// SPEC §8 under hostile input: generated bodies (arbitrary JSON, and valid requests with one
// field broken) against every route that takes a body, and generated query strings and ids
// against the routes that read them, on one real app (Redis, BullMQ, no worker). Never a 5xx
// or a crash; every 4xx is problem+json without internals; every refused document names the
// field, and for a broken field that field (or its parent or child).

let api: ApiTestApp;
let runId: string;
let scenarios: Manifest[];
let gameDays: Manifest[];

beforeAll(async () => {
  api = await startApiTestApp({ logLevel: 'error' });
  const catalogue = await loadScenarioDirectory('scenarios');
  scenarios = catalogue.documents.filter((d) => d.kind === 'Scenario');
  gameDays = catalogue.documents.filter((d) => d.kind === 'GameDay');
  const created = await request(api.url)
    .post('/api/v1/runs')
    .set('Authorization', bearer('operator'))
    .send({ scenario: 'bad-deny-policy', dryRun: true });
  expect(created.status).toBe(202);
  runId = created.body.id as string;
});

afterAll(async () => {
  await api?.close();
});

interface Route {
  method: 'post' | 'put';
  path: () => string;
  auth: string;
  /** Valid bodies, for the mutations. */
  valid: () => unknown[];
  /** Paths whose wrong-typed value the route may legitimately accept or read otherwise. */
  skip?: (path: Segment[]) => boolean;
  /** Undoes what an accepted body did, so the next inputs meet the same state. */
  undo?: (res: request.Response) => Promise<void>;
}

const ROUTES: Record<string, Route> = {
  'POST /api/v1/runs': {
    method: 'post',
    path: () => '/api/v1/runs',
    auth: bearer('operator'),
    valid: () => [
      ...scenarios.map((scenario) => ({
        scenario,
        overrides: { recovery: { holdFor: '30s' }, traffic: { successThreshold: 0.9 } },
        dryRun: true,
        allowMeshWide: false,
        onTargetBusy: 'refuse',
      })),
    ],
  },
  'POST /api/v1/gamedays': {
    method: 'post',
    path: () => '/api/v1/gamedays',
    auth: bearer('operator'),
    valid: () => gameDays.map((gameday) => ({ gameday, dryRun: true, allowMeshWide: true })),
  },
  'POST /api/v1/schedules': {
    method: 'post',
    path: () => '/api/v1/schedules',
    auth: bearer('operator'),
    valid: () => [
      {
        id: 'fuzz-schedule',
        scenario: 'istiod-oom',
        schedule: { cron: '0 10 * * 6', timezone: 'Europe/Berlin' },
        overrides: { recovery: { holdFor: '30s' } },
        allowMeshWide: true,
        dryRun: true,
      },
    ],
    undo: async (res) => {
      if (res.status === 201) {
        await request(api.url)
          .delete(`/api/v1/schedules/${res.body.id}`)
          .set('Authorization', bearer('operator'))
          .expect(204);
      }
    },
  },
  'PUT /api/v1/schedules/:id': {
    method: 'put',
    path: () => '/api/v1/schedules/fuzz-schedule',
    auth: bearer('operator'),
    valid: () => [{ gameday: 'mesh-failures', schedule: '0 6 * * 1', dryRun: false }],
  },
  'POST /api/v1/runs/:id/events': {
    method: 'post',
    path: () => `/api/v1/runs/${runId}/events`,
    auth: bearer('operator'),
    valid: () => [{ type: 'acknowledged', author: 'Ada', text: 'on it' }],
  },
  'POST /api/v1/runs/:id/abort': {
    method: 'post',
    path: () => `/api/v1/runs/${runId}/abort`,
    auth: bearer('operator'),
    valid: () => [{ reason: 'fuzzing' }],
  },
  'POST /api/v1/halt': {
    method: 'post',
    path: () => '/api/v1/halt',
    auth: bearer('admin'),
    valid: () => [{ reason: 'fuzzing' }],
    undo: async (res) => {
      if (res.status === 202) {
        await request(api.url)
          .delete('/api/v1/halt')
          .set('Authorization', bearer('admin'))
          .expect(200);
      }
    },
  },
  'POST /api/v1/scenarios/validate': {
    method: 'post',
    path: () => '/api/v1/scenarios/validate',
    auth: bearer('viewer'),
    valid: () => [...scenarios, ...gameDays],
  },
  'POST /api/v1/alertmanager/webhook': {
    method: 'post',
    path: () => '/api/v1/alertmanager/webhook',
    auth: `Bearer ${API_WEBHOOK_SECRET}`,
    valid: () => [WEBHOOK_PAYLOAD],
  },
};
const ROUTE_NAMES = Object.keys(ROUTES);

type Body = { json: unknown } | { raw: string; type: string };

function send(route: Route, body: Body): Promise<request.Response> {
  const req = request(api.url)[route.method](route.path()).set('Authorization', route.auth);
  if ('json' in body)
    return req.set('Content-Type', 'application/json').send(JSON.stringify(body.json));
  return req.set('Content-Type', body.type).send(body.raw);
}

/** What every answer must be, whatever was sent. */
function expectSafe(res: request.Response, what: string) {
  expect(res.status, `${what}: ${res.text.slice(0, 500)}`).toBeLessThan(500);
  expect(res.text, what).not.toMatch(INTERNALS);
  if (res.status >= 400) {
    expect(res.headers['content-type'], what).toMatch(/^application\/problem\+json/);
    expect(res.body, what).toMatchObject({ status: res.status, title: expect.any(String) });
  }
}

/** The fields a refusal names, as path segments without the `body` part. */
function namedFields(res: request.Response): Segment[][] {
  const errors = (res.body as { errors?: Array<{ field?: unknown }> }).errors ?? [];
  return errors.map((error) => {
    expect(typeof error.field, JSON.stringify(error)).toBe('string');
    const segments = parseField(String(error.field));
    return segments[0] === 'body' ? segments.slice(1) : segments;
  });
}

const isContainer = (value: unknown) => value !== null && typeof value === 'object';

describe('every route that takes a body', () => {
  it('refuses a valid request with one field broken, naming that field', async () => {
    const cases = fc
      .constantFrom(...ROUTE_NAMES)
      .chain((name) =>
        mutationOf(ROUTES[name]!.valid(), ROUTES[name]!.skip).map((m) => ({ name, mutation: m })),
      );
    const counts = { rejected: 0, accepted: 0 };
    await checkProperty(
      'API: mutation named',
      fc.asyncProperty(cases, async ({ name, mutation }: { name: string; mutation: Mutation }) => {
        const route = ROUTES[name]!;
        const what = `${name} ${mutation.kind} ${JSON.stringify(mutation.path)}`;
        const res = await send(route, { json: mutation.document });
        expectSafe(res, what);
        await route.undo?.(res);
        if (res.status < 400) {
          counts.accepted += 1;
          // Only leaving out an optional field may be accepted.
          expect(mutation.kind, what).toBe('delete');
          return;
        }
        counts.rejected += 1;
        if (res.status === 404 || res.status === 409) return; // PUT of a schedule not there
        expect([400, 422], what).toContain(res.status);
        const fields = namedFields(res);
        const validateRoute = name === 'POST /api/v1/scenarios/validate';
        expect(
          fields.some(
            (field) =>
              related(field, mutation.path) ||
              (related(field, mutation.path.slice(0, -1)) &&
                JSON.stringify(res.body).includes(String(mutation.path.at(-1)))) ||
              (validateRoute && field.length === 1 && field[0] === '(document)'),
          ),
          `${what}: ${JSON.stringify(res.body).slice(0, 800)}`,
        ).toBe(true);
      }),
      runsFor(0.08),
    );
    expect(counts.rejected).toBeGreaterThan(counts.accepted);
  });

  it('answers arbitrary JSON and text without a 5xx, naming a field for every refused document', async () => {
    const body: fc.Arbitrary<Body> = fc.oneof(
      hostileJson.map((json) => ({ json })),
      fc.record({
        raw: fc.oneof(
          fc.string({ unit: 'binary', maxLength: 100 }),
          fc.jsonValue().map((v) => JSON.stringify(v).slice(0, -1)),
          fc.constantFrom('{"a":1}garbage', '\uFEFF{}', '{"__proto__":{"polluted":1}}', 'null'),
        ),
        type: fc.constantFrom(
          'application/json',
          'application/yaml',
          'text/yaml',
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/json; charset=utf-16',
          'multipart/form-data; boundary=x',
        ),
      }),
    );
    await checkProperty(
      'API: arbitrary body',
      fc.asyncProperty(fc.constantFrom(...ROUTE_NAMES), body, async (name, sent) => {
        const route = ROUTES[name]!;
        const res = await send(route, sent);
        const what = `${name} ${JSON.stringify(sent).slice(0, 300)}`;
        expectSafe(res, what);
        await route.undo?.(res);
        // A JSON object or array that was read but refused must say which field is wrong.
        if (
          'json' in sent &&
          isContainer(sent.json) &&
          (res.status === 400 || res.status === 422)
        ) {
          const fields = namedFields(res);
          expect(fields.length, what).toBeGreaterThan(0);
        }
      }),
      runsFor(0.06),
    );
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('query strings and ids', () => {
  const reads: Array<[string, Role]> = [
    ['/api/v1/runs', 'viewer'],
    ['/api/v1/trends', 'viewer'],
    ['/api/v1/runs/RUN/report', 'viewer'],
    ['/api/v1/runs/RUN/events', 'viewer'],
    ['/api/v1/schedules/fuzz-schedule', 'viewer'],
  ];
  const KEYS = ['scenario', 'state', 'from', 'to', 'limit', 'cursor', 'bucket', 'format'];
  const param = fc.tuple(
    fc.oneof(
      fc.constantFrom(...KEYS),
      fc.constantFrom(...KEYS).map((k) => `${k}[]`),
      fc.constantFrom(...KEYS).map((k) => `${k}[a]`),
      fc.string({ maxLength: 8 }),
    ),
    fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom('0', '-1', '1e309', 'NaN', '99999999999999999999', '2026-02-30T25:61:00Z'),
      fc.constantFrom('completed,failed', 'week', 'html', ',,,', '%00', '\u0000', '💥'),
    ),
  );

  it('answers generated query strings and ids without a 5xx, naming the parameter', async () => {
    const query = fc
      .array(param, { maxLength: 4 })
      .map((pairs) =>
        pairs
          .map(
            ([k, v]) =>
              `${encodeURIComponent(k).replace(/%5B/g, '[').replace(/%5D/g, ']')}=${encodeURIComponent(v)}`,
          )
          .join('&'),
      );
    const id = fc.oneof(
      fc.constant('RUN'),
      fc.string({ maxLength: 70 }).map(encodeURIComponent),
      fc.constantFrom('..%2F..%2Fetc%2Fpasswd', '%2e%2e', 'a'.repeat(300), '%E0%A4%A', '%ZZ'),
    );
    await checkProperty(
      'API: query strings',
      fc.asyncProperty(fc.constantFrom(...reads), query, id, async ([path, role], q, i) => {
        const url = `${path.replace('RUN', i === 'RUN' ? runId : i)}?${q}`;
        const res = await request(api.url).get(url).set('Authorization', bearer(role));
        expectSafe(res, `GET ${url}`);
        if (res.status === 400 && res.body.errors !== undefined) {
          for (const field of namedFields(res))
            expect(['query', 'params'], url).toContain(String(field[0]));
        }
      }),
      runsFor(0.06),
    );
  });
});

describe('resource exhaustion', () => {
  const timed = async (req: request.Test) => {
    const start = performance.now();
    const res = await req;
    return { res, ms: performance.now() - start };
  };

  it.each(['/api/v1/runs', '/api/v1/scenarios/validate', '/api/v1/alertmanager/webhook'])(
    '%s: a body over the limit is refused with 413, quickly',
    async (path) => {
      const auth = path.includes('webhook') ? `Bearer ${API_WEBHOOK_SECRET}` : bearer('operator');
      const body = JSON.stringify({ padding: 'x'.repeat(2 * 1024 * 1024) });
      const { res, ms } = await timed(
        request(api.url)
          .post(path)
          .set('Authorization', auth)
          .set('Content-Type', 'application/json')
          .send(body),
      );
      expectSafe(res, path);
      expect(res.status).toBe(413);
      expect(ms).toBeLessThan(2_000);
    },
  );

  it('refuses YAML over the limit with 413', async () => {
    const { res } = await timed(
      request(api.url)
        .post('/api/v1/scenarios/validate')
        .set('Authorization', bearer('viewer'))
        .set('Content-Type', 'application/yaml')
        .send(`a: "${'x'.repeat(300 * 1024)}"\n`),
    );
    expectSafe(res, 'yaml');
    expect(res.status).toBe(413);
  });

  const deepJson = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
  const deepArray = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

  it.each([
    ['/api/v1/runs', 'object', `{"scenario":${deepJson(10_000)}}`],
    ['/api/v1/runs', 'array', `{"scenario":"bad-deny-policy","overrides":${deepArray(10_000)}}`],
    ['/api/v1/gamedays', 'object', `{"gameday":{"spec":${deepJson(10_000)}}}`],
    ['/api/v1/scenarios/validate', 'object', deepJson(10_000)],
    ['/api/v1/alertmanager/webhook', 'array', `{"version":"4","alerts":${deepArray(10_000)}}`],
  ])('%s: JSON nested 10,000 deep (%s) is a 4xx, quickly', async (path, _kind, text) => {
    const auth = path.includes('webhook') ? `Bearer ${API_WEBHOOK_SECRET}` : bearer('operator');
    const { res, ms } = await timed(
      request(api.url)
        .post(path)
        .set('Authorization', auth)
        .set('Content-Type', 'application/json')
        .send(text),
    );
    expectSafe(res, path);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(ms).toBeLessThan(2_000);
    if (res.status === 400 || res.status === 422)
      expect(namedFields(res).length).toBeGreaterThan(0);
  });

  const validateYaml = (text: string) =>
    timed(
      request(api.url)
        .post('/api/v1/scenarios/validate')
        .set('Authorization', bearer('viewer'))
        .set('Content-Type', 'application/yaml')
        .send(text),
    );

  it.each([
    ['flow', `${'['.repeat(10_000)}${']'.repeat(10_000)}`],
    ['block', Array.from({ length: 10_000 }, (_, i) => `${' '.repeat(i % 2_000)}- `).join('\n')],
  ])('YAML nested 10,000 deep (%s) is a 4xx, quickly', async (_kind, text) => {
    const { res, ms } = await validateYaml(text.slice(0, 250 * 1024));
    expectSafe(res, 'deep yaml');
    expect([400, 422]).toContain(res.status);
    expect(ms).toBeLessThan(2_000);
  });

  it('refuses a YAML billion laughs quickly, at the aliases', async () => {
    const levels = Array.from({ length: 9 }, (_, i) => {
      const [name, previous] = [`l${i + 1}`, `l${i}`];
      return `${name}: &${name} [${Array(10).fill(`*${previous}`).join(', ')}]`;
    });
    const { res, ms } = await validateYaml(
      `l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n${levels.join('\n')}\n`,
    );
    expectSafe(res, 'laughs');
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/alias/i);
    expect(ms).toBeLessThan(2_000);
  });

  it('keeps answering afterwards, logged no server error, and no prototype was polluted', async () => {
    const health = await request(api.url).get('/healthz');
    expect(health.status).toBe(200);
    expect(api.logs.filter((line) => /"level":(50|60)/.test(line))).toEqual([]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

// The YAML flavour of the mutations: a broken scenario file uploaded as YAML names its field.
describe('YAML uploads', () => {
  it('refuses a YAML scenario with one field broken, naming that field', async () => {
    await checkProperty(
      'API: YAML mutation named',
      fc.asyncProperty(mutationOf([...scenarios, ...gameDays]), async (mutation) => {
        const res = await send(ROUTES['POST /api/v1/scenarios/validate']!, {
          raw: stringify(mutation.document),
          type: 'application/yaml',
        });
        const what = `${mutation.kind} ${JSON.stringify(mutation.path)}`;
        expectSafe(res, what);
        if (res.status === 200) {
          expect(mutation.kind, what).toBe('delete');
          return;
        }
        expect(res.status, what).toBe(422);
        expect(
          namedFields(res).some(
            (field) =>
              related(field, mutation.path) ||
              (related(field, mutation.path.slice(0, -1)) &&
                JSON.stringify(res.body).includes(String(mutation.path.at(-1)))),
          ),
          `${what}: ${JSON.stringify(res.body).slice(0, 800)}`,
        ).toBe(true);
      }),
      runsFor(0.02),
    );
  });
});
