import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpEndpoint } from '../../src/config.js';
import { JsonHttpClient, SignalUnavailable } from '../../src/signals/index.js';
import { closeServer, listenOnLoopback } from '../support/http.js';

const TOKEN = 'super-secret-token-0123';
const PASSWORD = 'hunter2-password';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let handler: Handler = (_req, res) => res.end('{}');
const seenAuth: Array<string | undefined> = [];
const server = createServer((req, res) => {
  seenAuth.push(req.headers.authorization);
  handler(req, res);
});
let base = '';
let closedPort = 0;
let dir = '';

beforeAll(async () => {
  base = `http://127.0.0.1:${await listenOnLoopback(server)}`;
  const probe = createServer();
  closedPort = await listenOnLoopback(probe);
  await closeServer(probe);
  dir = await mkdtemp(join(tmpdir(), 'signals-http-'));
});

afterAll(async () => {
  await closeServer(server);
  await rm(dir, { recursive: true, force: true });
});

function endpoint(overrides: Partial<HttpEndpoint> = {}): HttpEndpoint {
  return { url: base, auth: undefined, caFile: undefined, ...overrides };
}

async function failure(promise: Promise<unknown>): Promise<SignalUnavailable> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SignalUnavailable);
    return error as SignalUnavailable;
  }
  throw new Error('expected a SignalUnavailable');
}

function expectNoCredentials(error: Error) {
  const text = `${error.message} ${String(error.stack)} ${JSON.stringify(error)}`;
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(Buffer.from(`admin:${PASSWORD}`).toString('base64'));
}

describe('JsonHttpClient', () => {
  it('GETs JSON under the endpoint path with the auth header', async () => {
    let url = '';
    handler = (req, res) => {
      url = req.url ?? '';
      res.setHeader('content-type', 'application/json').end('{"status":"success","data":1}');
    };
    const client = new JsonHttpClient(
      endpoint({ url: `${base}/prom`, auth: { type: 'bearer', token: TOKEN } }),
      { source: 'prometheus' },
    );
    await expect(
      client.get('/api/v1/query', { query: 'up == 1', time: undefined }),
    ).resolves.toEqual({
      status: 'success',
      data: 1,
    });
    expect(url).toBe('/prom/api/v1/query?query=up+%3D%3D+1');
    expect(seenAuth.at(-1)).toBe(`Bearer ${TOKEN}`);
    client.close();
  });

  it('sends basic auth', async () => {
    handler = (_req, res) => res.end('[]');
    const client = new JsonHttpClient(
      endpoint({ auth: { type: 'basic', username: 'admin', password: PASSWORD } }),
      { source: 'alertmanager' },
    );
    await client.get('/api/v2/alerts');
    expect(seenAuth.at(-1)).toBe(`Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`);
    client.close();
  });

  it('re-reads a bearer token file on every request', async () => {
    handler = (_req, res) => res.end('{}');
    const path = join(dir, 'token');
    await writeFile(path, 'first-token-aaaa\n');
    const client = new JsonHttpClient(endpoint({ auth: { type: 'bearerFile', path } }), {
      source: 'prometheus',
    });
    await client.get('/x');
    expect(seenAuth.at(-1)).toBe('Bearer first-token-aaaa');
    await writeFile(path, 'second-token-bbbb');
    await client.get('/x');
    expect(seenAuth.at(-1)).toBe('Bearer second-token-bbbb');
    client.close();
  });

  it('says which token file it cannot read, not what was in it', async () => {
    const path = join(dir, 'missing-token');
    const client = new JsonHttpClient(endpoint({ auth: { type: 'bearerFile', path } }), {
      source: 'prometheus',
    });
    const error = await failure(client.get('/x'));
    expect(error.message).toBe(
      `Prometheus at ${base}: cannot read the bearer token file ${path}: ENOENT`,
    );
    expect(error.retryable).toBe(true);
  });

  it('maps a refused connection to an unreachable source', async () => {
    const client = new JsonHttpClient(
      {
        url: `http://admin:${PASSWORD}@127.0.0.1:${closedPort}`,
        auth: { type: 'bearer', token: TOKEN },
        caFile: undefined,
      },
      { source: 'prometheus' },
    );
    const error = await failure(client.get('/api/v1/query'));
    expect(error.message).toBe(
      `Prometheus at http://127.0.0.1:${closedPort} unreachable: connect ECONNREFUSED 127.0.0.1:${closedPort}`,
    );
    expect(error).toMatchObject({ source: 'prometheus', retryable: true, status: undefined });
    expect(error.reason).toBe(error.message);
    expectNoCredentials(error);
  });

  it('times out a server that does not answer', async () => {
    handler = () => undefined; // never answers
    const client = new JsonHttpClient(endpoint(), { source: 'alertmanager', timeoutMs: 200 });
    const started = Date.now();
    const error = await failure(client.get('/api/v2/alerts'));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error.message).toBe(`Alertmanager at ${base} did not answer within 200 ms`);
    client.close();
  });

  it('reports a non-2xx status with the Prometheus error and scrubs echoed credentials', async () => {
    handler = (req, res) =>
      res.writeHead(422, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          status: 'error',
          errorType: 'execution',
          error: `bad thing; you sent ${req.headers.authorization}`,
        }),
      );
    const client = new JsonHttpClient(endpoint({ auth: { type: 'bearer', token: TOKEN } }), {
      source: 'prometheus',
    });
    const error = await failure(client.get('/api/v1/query'));
    expect(error.message).toBe(
      `Prometheus at ${base} (/api/v1/query) answered 422 Unprocessable Entity: execution: bad thing; you sent Bearer [REDACTED]`,
    );
    expect(error).toMatchObject({ status: 422, retryable: false });
    expectNoCredentials(error);
    client.close();
  });

  it('reports a 503 with its text body as retryable', async () => {
    handler = (_req, res) => res.writeHead(503).end('upstream   connect error\n');
    const client = new JsonHttpClient(endpoint(), { source: 'alertmanager' });
    const error = await failure(client.get('/api/v2/alerts'));
    expect(error.message).toBe(
      `Alertmanager at ${base} (/api/v2/alerts) answered 503 Service Unavailable: upstream connect error`,
    );
    expect(error).toMatchObject({ status: 503, retryable: true });
    client.close();
  });

  it('refuses invalid JSON and a {status: "error"} body', async () => {
    const client = new JsonHttpClient(endpoint(), { source: 'prometheus' });
    handler = (_req, res) => res.end('<html>login</html>');
    expect((await failure(client.get('/a'))).message).toBe(
      `Prometheus at ${base} (/a) answered with invalid JSON: <html>login</html>`,
    );
    handler = (_req, res) =>
      res.end('{"status":"error","errorType":"timeout","error":"query timed out"}');
    expect((await failure(client.get('/b'))).message).toBe(
      `Prometheus at ${base} (/b) answered with an error: timeout: query timed out`,
    );
    client.close();
  });

  it('says so when the CA file cannot be read', async () => {
    const caFile = join(dir, 'no-ca.pem');
    const client = new JsonHttpClient(
      { url: 'https://127.0.0.1:1', auth: undefined, caFile },
      { source: 'alertmanager' },
    );
    expect((await failure(client.get('/x'))).message).toBe(
      `Alertmanager at https://127.0.0.1:1: cannot read the CA file ${caFile}: ENOENT`,
    );
  });
});

describe('JsonHttpClient keep-alive', () => {
  it('retries once on a fresh connection when a kept-alive one turns out closed', async () => {
    const perSocket = new WeakMap<object, number>();
    let connections = 0;
    const flaky = createServer((req, res) => {
      const count = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, count);
      if (count === 1) connections += 1;
      // The second request on a connection: drop it, as a server that closed an idle one would.
      if (count > 1) req.socket.destroy();
      else res.setHeader('content-type', 'application/json').end('{"n":1}');
    });
    const url = `http://127.0.0.1:${await listenOnLoopback(flaky)}`;
    const client = new JsonHttpClient(
      { url, auth: undefined, caFile: undefined },
      { source: 'prometheus' },
    );
    try {
      await expect(client.get('/a')).resolves.toEqual({ n: 1 });
      await expect(client.get('/b')).resolves.toEqual({ n: 1 });
      expect(connections).toBe(2);
    } finally {
      client.close();
      await closeServer(flaky);
    }
  });
});
