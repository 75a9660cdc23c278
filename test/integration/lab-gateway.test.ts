import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type PeerCertificate } from 'node:tls';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findResourceByKind } from '../../lab/apiserver/resources.js';
import { PODS } from '../../lab/controllers/objects.js';
import { startLab, type Lab } from '../../lab/index.js';
import {
  startGatewayListener,
  type GatewayListener,
  type GatewayListenerOptions,
  type IngressRequest,
} from '../../lab/mesh/gateway.js';
import { NO_MESH_EVENTS } from '../../lab/mesh/model.js';
import type { MeshEvents } from '../../lab/mesh/types.js';
import { SHOP_CREDENTIAL, SHOP_HOST } from '../../lab/topology.js';
import { certExpiry } from '../../src/faults/cert-expiry.js';
import { MemoryJournal } from '../../src/faults/journal.js';
import { kubeClients } from '../../src/kube/clients.js';
import { createLogger } from '../../src/logger.js';
import { certExpiryParams } from '../../src/scenario/fault-params.js';
import {
  createCertificateAuthority,
  issueCertificate,
  type Certificate,
  type Issuer,
} from '../../src/pki.js';
import { waitFor } from '../support/index.js';

const NS = 'istio-system';
const DAY_MS = 24 * 60 * 60 * 1000;
const SECRETS = findResourceByKind('v1', 'Secret')!;
const GATEWAYS = findResourceByKind('networking.istio.io/v1', 'Gateway')!;

let lab: Lab;
let listener: GatewayListener;
let extraListeners: GatewayListener[];
let sslErrors: Array<{ pod: string; listener: string }>;
let routed: IngressRequest[];
let podGone: boolean;
/** The CA of the seeded shop certificate (last in its chain) and one for this test's certificates. */
let seededCa: string;
let testCa: Issuer;

/** Events of listeners started in the current test only: a stopped one may still report late. */
function recordingEvents(errors: Array<{ pod: string; listener: string }>): MeshEvents {
  return {
    ...NO_MESH_EVENTS,
    sslConnectionError: (proxy, address) => {
      errors.push({ pod: `${proxy.namespace}/${proxy.pod}`, listener: address });
    },
  };
}

/** The running istio-ingressgateway pod of the lab, as the mesh model would report it. */
function runningGatewayPod(of: Lab = lab) {
  if (podGone) return undefined;
  const pod = of.registry
    .list(PODS, NS, { labelSelector: 'istio=ingressgateway' })
    .items.find((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running');
  if (!pod) return undefined;
  return {
    namespace: NS,
    pod: pod.metadata.name ?? '',
    labels: pod.metadata.labels ?? {},
  };
}

async function startListener(
  overrides: Partial<GatewayListenerOptions> = {},
): Promise<GatewayListener> {
  const ownLab = lab;
  const started = await startGatewayListener({
    registry: ownLab.registry,
    events: recordingEvents(sslErrors),
    gatewayPod: () => runningGatewayPod(ownLab),
    route: (request) => {
      routed.push(request);
      return { status: 200, body: `routed ${request.host}${request.path}` };
    },
    ...overrides,
  });
  extraListeners.push(started);
  return started;
}

beforeEach(async () => {
  sslErrors = [];
  routed = [];
  extraListeners = [];
  podGone = false;
  lab = await startLab({ speed: 20 });
  const seeded = lab.registry.get(SECRETS, NS, SHOP_CREDENTIAL);
  const chain = decode((seeded.data as Record<string, string>)['tls.crt']!);
  seededCa = chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!.at(-1)!;
  testCa = await createCertificateAuthority('GameDay test CA');
  listener = await startListener();
  await waitFor(() => runningGatewayPod(), { description: 'the ingress gateway pod to run' });
});

afterEach(async () => {
  for (const started of extraListeners) await started.stop();
  await lab?.stop();
});

const decode = (base64: string) => Buffer.from(base64, 'base64').toString('utf8');
const encode = (text: string) => Buffer.from(text).toString('base64');

type Handshake =
  | { ok: true; authorized: boolean; cert: PeerCertificate }
  | { ok: false; error: NodeJS.ErrnoException };

/** One TLS connection to the listener; resolves with the peer certificate or the error. */
function handshake(
  target: GatewayListener,
  options: { servername?: string; ca?: string[]; rejectUnauthorized?: boolean } = {},
): Promise<Handshake> {
  return new Promise((resolve) => {
    const socket = connect({
      host: '127.0.0.1',
      port: target.httpsPort,
      ...(options.servername !== undefined && { servername: options.servername }),
      ca: options.ca ?? [seededCa, testCa.cert],
      rejectUnauthorized: options.rejectUnauthorized ?? true,
    });
    socket.once('secureConnect', () => {
      resolve({ ok: true, authorized: socket.authorized, cert: socket.getPeerCertificate() });
      socket.end();
    });
    socket.once('error', (error) => resolve({ ok: false, error }));
    socket.once('close', () => resolve({ ok: false, error: new Error('closed before handshake') }));
  });
}

function httpsGet(
  target: GatewayListener,
  path: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: target.httpsPort,
        path,
        servername: SHOP_HOST,
        headers: { host: SHOP_HOST },
        ca: [seededCa],
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.once('error', reject);
    req.end();
  });
}

function httpGet(
  target: GatewayListener,
  host: string,
  path: string,
): Promise<{ status: number; body: string; location?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: target.httpPort, path, headers: { host }, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            ...(res.headers.location && { location: res.headers.location }),
          }),
        );
      },
    );
    req.once('error', reject);
    req.end();
  });
}

async function createTlsSecret(name: string, pair: Pick<Certificate, 'cert' | 'key'>) {
  lab.registry.create(SECRETS, NS, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: NS },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': encode(pair.cert), 'tls.key': encode(pair.key) },
  });
}

/** What the cert-expiry fault does to the Gateway: a registry write, no listener restart. */
function pointShopGatewayAt(credentialName: string) {
  lab.registry.patch(
    GATEWAYS,
    NS,
    'shop-gateway',
    'application/json-patch+json',
    JSON.stringify([
      { op: 'replace', path: '/spec/servers/0/tls/credentialName', value: credentialName },
    ]),
  );
}

function shopCertificate(validity: { notBefore: Date; notAfter: Date }) {
  return issueCertificate(testCa, { commonName: SHOP_HOST, hosts: [SHOP_HOST], ...validity });
}

const expiredValidity = () => ({
  notBefore: new Date(Date.now() - 91 * DAY_MS),
  notAfter: new Date(Date.now() - DAY_MS),
});

const sslErrorCount = () => sslErrors.length;

describe('HTTPS listener', () => {
  it('serves the seeded shop certificate for its SNI, trusted through the chain in the Secret', async () => {
    const result = await handshake(listener, { servername: SHOP_HOST, ca: [seededCa] });

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.authorized).toBe(true);
    expect(result.cert.subject.CN).toBe(SHOP_HOST);
    expect(new Date(result.cert.valid_to).getTime()).toBeGreaterThan(Date.now());
    const outcome = listener.credentialFor(SHOP_HOST);
    expect(outcome.ok).toBe(true);
    if (outcome.ok) {
      expect(Math.floor(outcome.notAfter.getTime() / 1000)).toBe(
        new Date(result.cert.valid_to).getTime() / 1000,
      );
    }
    expect(sslErrors).toEqual([]);
  });

  it('answers HTTPS requests with what the mesh routes', async () => {
    const response = await httpsGet(listener, '/cart?item=1');

    expect(response).toEqual({ status: 200, body: `routed ${SHOP_HOST}/cart?item=1` });
    expect(routed).toEqual([
      { scheme: 'https', host: SHOP_HOST, method: 'GET', path: '/cart?item=1' },
    ]);
  });

  it('fails handshakes once credentialName points at an expired certificate, and recovers on revert', async () => {
    const expired = await shopCertificate(expiredValidity());
    await createTlsSecret(`${SHOP_CREDENTIAL}-gameday-expired`, expired);

    pointShopGatewayAt(`${SHOP_CREDENTIAL}-gameday-expired`);
    const failed = await handshake(listener, { servername: SHOP_HOST });

    expect(failed.ok).toBe(false);
    if (!failed.ok) expect(failed.error.code).toBe('CERT_HAS_EXPIRED');
    await waitFor(() => sslErrorCount() === 1, { description: 'one ssl connection error' });
    expect(sslErrors[0]).toEqual({
      pod: `${NS}/${runningGatewayPod()!.pod}`,
      listener: '0.0.0.0_8443',
    });
    const outcome = listener.credentialFor(SHOP_HOST);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.reason).toMatch(/expired/);
    await expect(httpsGet(listener, '/')).rejects.toMatchObject({ code: 'CERT_HAS_EXPIRED' });

    pointShopGatewayAt(SHOP_CREDENTIAL);
    const recovered = await handshake(listener, { servername: SHOP_HOST });

    expect(recovered.ok).toBe(true);
    expect(listener.credentialFor(SHOP_HOST).ok).toBe(true);
    expect((await httpsGet(listener, '/')).status).toBe(200);
  });

  it('still presents the expired certificate to clients that do not verify, as Istio ≥ 1.19.1 does', async () => {
    const expired = await shopCertificate(expiredValidity());
    await createTlsSecret('expired-shop', expired);
    pointShopGatewayAt('expired-shop');

    const result = await handshake(listener, {
      servername: SHOP_HOST,
      rejectUnauthorized: false,
    });

    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.authorized).toBe(false);
      expect(new Date(result.cert.valid_to).getTime()).toBeLessThan(Date.now());
    }
  });

  it('with the reject policy (Istio 1.18.0–1.19.0) serves no certificate at all for an expired one', async () => {
    const rejecting = await startListener({ invalidCertificates: 'reject' });
    const expired = await shopCertificate(expiredValidity());
    await createTlsSecret('expired-shop', expired);
    pointShopGatewayAt('expired-shop');

    const result = await handshake(rejecting, {
      servername: SHOP_HOST,
      rejectUnauthorized: false,
    });

    expect(result.ok).toBe(false);
    await waitFor(() => sslErrorCount() === 1, { description: 'one ssl connection error' });
    const outcome = rejecting.credentialFor(SHOP_HOST);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.reason).toMatch(/expired.*istiod rejects it/);

    pointShopGatewayAt(SHOP_CREDENTIAL);
    expect((await handshake(rejecting, { servername: SHOP_HOST })).ok).toBe(true);
  });

  it('fails handshakes for a certificate that is not yet valid', async () => {
    const future = await shopCertificate({
      notBefore: new Date(Date.now() + DAY_MS),
      notAfter: new Date(Date.now() + 90 * DAY_MS),
    });
    await createTlsSecret('future-shop', future);
    pointShopGatewayAt('future-shop');

    const result = await handshake(listener, { servername: SHOP_HOST });

    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('CERT_NOT_YET_VALID');
    const outcome = listener.credentialFor(SHOP_HOST);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.reason).toMatch(/not valid before/);
    await waitFor(() => sslErrorCount() === 1, { description: 'one ssl connection error' });
  });

  it('re-checks validity against now() at every handshake, with no Secret change', async () => {
    let clock = new Date();
    const timed = await startListener({ now: () => clock });
    expect((await handshake(timed, { servername: SHOP_HOST, rejectUnauthorized: false })).ok).toBe(
      true,
    );

    clock = new Date(Date.now() + 20 * 365 * DAY_MS);

    expect(timed.credentialFor(SHOP_HOST).ok).toBe(false);
    const rejecting = await startListener({ now: () => clock, invalidCertificates: 'reject' });
    expect(
      (await handshake(rejecting, { servername: SHOP_HOST, rejectUnauthorized: false })).ok,
    ).toBe(false);
  });

  it.each([
    ['a missing Secret', () => pointShopGatewayAt('no-such-secret'), /not found/],
    [
      'a Secret without tls.crt/tls.key or cert/key',
      () => {
        lab.registry.create(SECRETS, NS, {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'wrong-keys', namespace: NS },
          type: 'Opaque',
          data: { 'tls.cert': encode('nope') },
        });
        pointShopGatewayAt('wrong-keys');
      },
      /expected keys/,
    ],
    [
      'an unparsable certificate',
      () => {
        lab.registry.create(SECRETS, NS, {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'garbage', namespace: NS },
          type: 'Opaque',
          data: { cert: encode('hush hush hush'), key: encode('secret secret') },
        });
        pointShopGatewayAt('garbage');
      },
      /no PEM certificate/,
    ],
  ])('fails handshakes for %s', async (_what, breakIt, reason) => {
    breakIt();

    const result = await handshake(listener, { servername: SHOP_HOST, rejectUnauthorized: false });

    expect(result.ok).toBe(false);
    const outcome = listener.credentialFor(SHOP_HOST);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.reason).toMatch(reason);
    await waitFor(() => sslErrorCount() === 1, { description: 'one ssl connection error' });
  });

  it('fails handshakes for a key that does not belong to the certificate', async () => {
    const one = await shopCertificate({
      notBefore: new Date(Date.now() - DAY_MS),
      notAfter: new Date(Date.now() + DAY_MS),
    });
    const other = await shopCertificate({
      notBefore: new Date(Date.now() - DAY_MS),
      notAfter: new Date(Date.now() + DAY_MS),
    });
    await createTlsSecret('mismatched', { cert: one.cert, key: other.key });
    pointShopGatewayAt('mismatched');

    const result = await handshake(listener, { servername: SHOP_HOST, rejectUnauthorized: false });

    expect(result.ok).toBe(false);
    const outcome = listener.credentialFor(SHOP_HOST);
    if (!outcome.ok) expect(outcome.reason).toMatch(/cannot load the key pair/);
    expect(outcome.ok).toBe(false);
  });

  it('serves a generic Secret (cert/key) of a MUTUAL server without asking for a client certificate', async () => {
    const pair = await shopCertificate({
      notBefore: new Date(Date.now() - DAY_MS),
      notAfter: new Date(Date.now() + DAY_MS),
    });
    lab.registry.create(SECRETS, NS, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'generic-shop', namespace: NS },
      type: 'Opaque',
      data: { cert: encode(pair.cert), key: encode(pair.key), cacert: encode(testCa.cert) },
    });
    lab.registry.patch(
      GATEWAYS,
      NS,
      'shop-gateway',
      'application/json-patch+json',
      JSON.stringify([
        {
          op: 'replace',
          path: '/spec/servers/0/tls',
          value: { mode: 'MUTUAL', credentialName: 'generic-shop' },
        },
      ]),
    );

    const result = await handshake(listener, { servername: SHOP_HOST, ca: [testCa.cert] });

    expect(result).toMatchObject({ ok: true, authorized: true });
    // X.509 keeps whole seconds.
    const notAfter = new Date(Math.floor(pair.notAfter.getTime() / 1000) * 1000);
    expect(listener.credentialFor(SHOP_HOST)).toEqual({ ok: true, notAfter });
  });

  it('fails handshakes without SNI or for a name no Gateway server serves', async () => {
    const noSni = await handshake(listener, { rejectUnauthorized: false });
    const unknown = await handshake(listener, {
      servername: 'other.example.org',
      rejectUnauthorized: false,
    });

    expect(noSni.ok).toBe(false);
    expect(unknown.ok).toBe(false);
    expect(listener.credentialFor('other.example.org')).toMatchObject({ ok: false });
    await waitFor(() => sslErrorCount() === 2, { description: 'two ssl connection errors' });
  });

  it('matches wildcard hosts and Gateways in other namespaces whose selector matches the pod', async () => {
    const wildcard = await issueCertificate(testCa, {
      commonName: '*.apps.example.com',
      hosts: ['*.apps.example.com'],
    });
    // The credential is read from the gateway workload's namespace, not the Gateway's.
    await createTlsSecret('apps-wildcard', wildcard);
    lab.registry.create(GATEWAYS, 'frontend', {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: { name: 'apps', namespace: 'frontend' },
      spec: {
        selector: { istio: 'ingressgateway' },
        servers: [
          {
            port: { number: 443, name: 'https-apps', protocol: 'HTTPS' },
            hosts: ['frontend/*.apps.example.com'],
            tls: { mode: 'SIMPLE', credentialName: 'apps-wildcard' },
          },
        ],
      },
    });

    const result = await handshake(listener, { servername: 'web.apps.example.com' });

    expect(result.ok).toBe(true);
    if (result.ok) expect(result.cert.subject.CN).toBe('*.apps.example.com');
    expect(listener.credentialFor('web.apps.example.com').ok).toBe(true);
    expect(listener.credentialFor('apps.example.com').ok).toBe(false);
  });

  it('ignores Gateways whose selector does not match the gateway pod', async () => {
    lab.registry.patch(
      GATEWAYS,
      NS,
      'shop-gateway',
      'application/json-patch+json',
      JSON.stringify([
        { op: 'replace', path: '/spec/selector', value: { istio: 'egressgateway' } },
      ]),
    );

    expect((await handshake(listener, { servername: SHOP_HOST })).ok).toBe(false);
    expect(listener.credentialFor(SHOP_HOST)).toMatchObject({ ok: false });
  });

  it('resets connections while no gateway pod runs, without counting handshake errors', async () => {
    podGone = true;

    const result = await handshake(listener, { servername: SHOP_HOST });

    expect(result.ok).toBe(false);
    await expect(httpGet(listener, SHOP_HOST, '/')).rejects.toThrow();
    expect(listener.credentialFor(SHOP_HOST)).toEqual({ ok: false, reason: 'no gateway pod runs' });
    expect(sslErrors).toEqual([]);

    podGone = false;
    expect((await handshake(listener, { servername: SHOP_HOST })).ok).toBe(true);
  });
});

describe('HTTP listener', () => {
  it('redirects the shop to HTTPS (httpsRedirect), routes other Gateway hosts, 404s unknown hosts', async () => {
    lab.registry.create(GATEWAYS, 'frontend', {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: { name: 'api', namespace: 'frontend' },
      spec: {
        selector: { istio: 'ingressgateway' },
        servers: [
          {
            port: { number: 80, name: 'http', protocol: 'HTTP' },
            hosts: ['./api.example.com'],
          },
        ],
      },
    });

    const shop = await httpGet(listener, SHOP_HOST, '/checkout');
    const api = await httpGet(listener, 'api.example.com:80', '/v1/items');
    const unknown = await httpGet(listener, 'nobody.example.org', '/');

    expect(shop).toMatchObject({ status: 301, location: `https://${SHOP_HOST}/checkout` });
    expect(api).toEqual({ status: 200, body: 'routed api.example.com/v1/items' });
    expect(unknown.status).toBe(404);
    expect(routed).toEqual([
      { scheme: 'http', host: 'api.example.com', method: 'GET', path: '/v1/items' },
    ]);
  });
});

describe('the cert-expiry fault against the listener', () => {
  it('breaks real handshakes while injected and restores them on revert, with no listener restart', async () => {
    const config = new KubeConfig();
    config.loadFromString(lab.kubeconfig());
    const ctx = {
      kube: kubeClients(config),
      runId: 'run-gateway-listener',
      namespace: NS,
      journal: new MemoryJournal(),
      logger: createLogger({ name: 'test', level: 'silent', format: 'json' }),
      waitTimeoutMs: 10_000,
      now: () => new Date(),
    };
    const params = certExpiryParams.parse({
      mode: 'gateway',
      gateway: { name: 'shop-gateway', namespace: NS },
      expiredFor: '2d',
    });

    await certExpiry.inject(ctx, params);
    const verifying = await handshake(listener, { servername: SHOP_HOST, ca: [seededCa] });
    const lenient = await handshake(listener, { servername: SHOP_HOST, rejectUnauthorized: false });

    expect(verifying.ok).toBe(false);
    await waitFor(() => sslErrorCount() === 1, { description: 'one ssl connection error' });
    expect(lenient.ok).toBe(true);
    if (lenient.ok) {
      expect(new Date(lenient.cert.valid_to).getTime()).toBeLessThan(Date.now() - DAY_MS);
    }
    expect(listener.credentialFor(SHOP_HOST)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/gameday-expired: certificate expired/),
    });

    await certExpiry.revert(ctx, params);

    expect((await handshake(listener, { servername: SHOP_HOST, ca: [seededCa] })).ok).toBe(true);
    expect(listener.credentialFor(SHOP_HOST).ok).toBe(true);
  });
});
