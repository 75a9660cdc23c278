import type { TLSSocket } from 'node:tls';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueCertificate, type Certificate } from '../../src/pki.js';
import { httpProbeSchema } from '../../src/scenario/schema.js';
import { HttpProber, SignalUnavailable } from '../../src/signals/index.js';
import { closeServer, listenOnLoopback } from '../support/http.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const clock = { now: () => Date.now() };
const servers: Server[] = [];
let dir = '';
let caFile = '';
let valid: Certificate;
let expired: Certificate;
let shop: Certificate;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signals-prober-'));
  const ca = await createCertificateAuthority('gameday test CA');
  const hosts = ['127.0.0.1', 'localhost'];
  valid = await issueCertificate(ca, { commonName: 'gateway', hosts });
  expired = await issueCertificate(ca, {
    commonName: 'gateway',
    hosts,
    notBefore: new Date(Date.now() - 10 * DAY_MS),
    notAfter: new Date(Date.now() - DAY_MS),
  });
  shop = await issueCertificate(ca, { commonName: 'shop.test', hosts: ['shop.test'] });
  caFile = join(dir, 'ca.pem');
  await writeFile(caFile, ca.cert);
});

afterAll(async () => {
  for (const server of servers) await closeServer(server);
  await rm(dir, { recursive: true, force: true });
});

const answer =
  (status: number): RequestListener =>
  (_req, res) =>
    res.writeHead(status).end('body');

async function httpServer(listener: RequestListener): Promise<string> {
  const server = createHttpServer(listener);
  servers.push(server);
  return `http://127.0.0.1:${await listenOnLoopback(server)}/healthz`;
}

/** An https server; `handshakes` counts completed TLS handshakes. */
async function httpsServer(certificate: Certificate, listener: RequestListener = answer(200)) {
  const server = createHttpsServer({ cert: certificate.cert, key: certificate.key }, listener);
  const counter = { handshakes: 0 };
  server.on('secureConnection', () => (counter.handshakes += 1));
  servers.push(server);
  const url = `https://127.0.0.1:${await listenOnLoopback(server)}/`;
  return { url, counter };
}

function prober(probe: Record<string, unknown>, requestTimeoutMs = 2_000) {
  return new HttpProber(httpProbeSchema.parse(probe), { clock, requestTimeoutMs });
}

describe('HttpProber', () => {
  it('counts expected statuses as success', async () => {
    const url = await httpServer(answer(200));
    const started = Date.now();
    const sample = await prober({ url }).sample();
    expect(sample).toMatchObject({ value: 1, ok: 5, total: 5, detail: '5/5 ok', failures: {} });
    expect(sample.at).toBeGreaterThanOrEqual(started);
  });

  it('reports unexpected statuses by code', async () => {
    let served = 0;
    const url = await httpServer((_req, res) => {
      served += 1;
      res.writeHead(served <= 2 ? 503 : 200).end();
    });
    const sample = await prober({ url, requestsPerInterval: 5 }).sample();
    expect(sample.value).toBe(0.6);
    expect(sample.detail).toBe('3/5 ok; 2 unexpected status 503');
  });

  it('honours expectStatus and method', async () => {
    let method = '';
    const url = await httpServer((req, res) => {
      method = req.method ?? '';
      res.writeHead(204).end();
    });
    const sample = await prober({
      url,
      method: 'HEAD',
      expectStatus: [204],
      requestsPerInterval: 2,
    }).sample();
    expect(sample.detail).toBe('2/2 ok');
    expect(method).toBe('HEAD');
  });

  it('trusts the CA from tls.caFile and handshakes on every request of every sample', async () => {
    const { url, counter } = await httpsServer(valid);
    const probe = prober({ url, requestsPerInterval: 4, tls: { caFile } });
    expect((await probe.sample()).detail).toBe('4/4 ok');
    expect((await probe.sample()).detail).toBe('4/4 ok');
    expect(counter.handshakes).toBe(8);
  });

  it('reports an expired certificate as a TLS handshake failure (CERT_HAS_EXPIRED)', async () => {
    const { url } = await httpsServer(expired);
    const sample = await prober({ url, tls: { caFile } }).sample();
    expect(sample).toMatchObject({
      value: 0,
      detail: '0/5 ok; 5 TLS handshake failure (CERT_HAS_EXPIRED)',
      failures: { 'TLS handshake failure (CERT_HAS_EXPIRED)': 5 },
    });
  });

  it('connects to connectTo while sending the URL host as Host header and TLS server name', async () => {
    const seen: Array<{ host?: string; servername?: string }> = [];
    const { url } = await httpsServer(shop, (req, res) => {
      seen.push({
        ...(req.headers.host !== undefined && { host: req.headers.host }),
        servername: (req.socket as TLSSocket).servername || undefined,
      });
      res.writeHead(200).end();
    });
    const port = new URL(url).port;
    const probe = prober({
      url: 'https://shop.test/',
      connectTo: `127.0.0.1:${port}`,
      requestsPerInterval: 2,
      tls: { caFile },
    });
    expect((await probe.sample()).detail).toBe('2/2 ok');
    expect(seen).toEqual([
      { host: 'shop.test', servername: 'shop.test' },
      { host: 'shop.test', servername: 'shop.test' },
    ]);
    // Without connectTo the name does not resolve: the probe says so instead of succeeding.
    const unresolved = await prober({ url: 'https://shop.test/', tls: { caFile } }).sample();
    expect(unresolved.value).toBe(0);
  });

  it('reports an untrusted certificate without tls.caFile', async () => {
    const { url } = await httpsServer(valid);
    const sample = await prober({ url, requestsPerInterval: 2 }).sample();
    expect(sample.detail).toBe('0/2 ok; 2 TLS handshake failure (UNABLE_TO_VERIFY_LEAF_SIGNATURE)');
  });

  it('skips verification with tls.insecure, even of an expired certificate', async () => {
    const { url, counter } = await httpsServer(expired);
    const sample = await prober({ url, requestsPerInterval: 3, tls: { insecure: true } }).sample();
    expect(sample.detail).toBe('3/3 ok');
    expect(counter.handshakes).toBe(3);
  });

  it('times out requests a server never answers', async () => {
    const url = await httpServer(() => undefined);
    const started = Date.now();
    const sample = await prober({ url, requestsPerInterval: 3 }, 300).sample();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(sample.detail).toBe('0/3 ok; 3 timeout');
  });

  it('times out a TLS handshake that never completes', async () => {
    // A plain TCP listener that accepts and says nothing.
    const sockets = new Set<Socket>();
    const silent = createNetServer((socket) => sockets.add(socket));
    const port = await new Promise<number>((resolve) =>
      silent.listen(0, '127.0.0.1', () => resolve((silent.address() as AddressInfo).port)),
    );
    try {
      const url = `https://127.0.0.1:${port}/`;
      const sample = await prober({ url, requestsPerInterval: 2, tls: { caFile } }, 300).sample();
      expect(sample.detail).toBe('0/2 ok; 2 timeout');
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('reports a plain-HTTP answer to a TLS client hello as a TLS handshake failure', async () => {
    const url = (await httpServer(answer(200))).replace('http:', 'https:');
    const sample = await prober({ url, requestsPerInterval: 2, tls: { caFile } }).sample();
    expect(sample.detail).toBe('0/2 ok; 2 TLS handshake failure (EPROTO)');
  });

  it('reports a refused connection', async () => {
    const closed = createHttpServer();
    const port = await listenOnLoopback(closed);
    await closeServer(closed);
    const sample = await prober({
      url: `http://127.0.0.1:${port}/`,
      requestsPerInterval: 2,
    }).sample();
    expect(sample.detail).toBe('0/2 ok; 2 connection refused');
  });

  it('reports a connection the server drops', async () => {
    const url = await httpServer((req) => req.socket.destroy());
    const sample = await prober({ url, requestsPerInterval: 2 }).sample();
    expect(sample.detail).toBe('0/2 ok; 2 connection reset');
  });

  it('throws SignalUnavailable when the CA file cannot be read', async () => {
    const probe = prober({
      url: 'https://127.0.0.1:1/',
      tls: { caFile: join(dir, 'missing.pem') },
    });
    const error = await probe.sample().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignalUnavailable);
    expect((error as SignalUnavailable).source).toBe('probe');
    expect((error as Error).message).toMatch(/cannot read tls\.caFile .*missing\.pem: ENOENT/);
  });
});
