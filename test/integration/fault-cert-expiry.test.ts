import { X509Certificate } from 'node:crypto';
import { KubeConfig, Watch, type V1Pod, type V1Secret } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../lab/index.js';
import { kubeClients, type KubeClients } from '../../src/kube/clients.js';
import { certExpiry } from '../../src/faults/cert-expiry.js';
import { Forbidden } from '../../src/faults/errors.js';
import type { FaultContext, PlannedWrite } from '../../src/faults/fault.js';
import { MemoryJournal } from '../../src/faults/journal.js';
import { createLogger } from '../../src/logger.js';
import { certExpiryParams } from '../../src/scenario/fault-params.js';
import { waitFor } from '../support/index.js';

const NS = 'istio-system';
const GATEWAY = 'shop-gateway';
const CREDENTIAL = 'shop-example-com-cert';
const EXPIRED = `${CREDENTIAL}-gameday-expired`;
const ISTIOD = 'app=istiod';
const READ_ONLY_TOKEN = 'read-only-token-0123456789abcdef';
const logger = createLogger({ name: 'test', level: 'silent', format: 'json' });
let lab: Lab;
let admin: KubeClients;
let readOnly: KubeClients;

interface Gateway {
  metadata: { annotations?: Record<string, string> };
  spec: { servers: Array<{ tls?: { credentialName?: string } }> };
}

function clients(kubeconfig: string): KubeClients {
  const config = new KubeConfig();
  config.loadFromString(kubeconfig);
  return kubeClients(config);
}

function context(runId: string, kube = admin, extra: Partial<FaultContext> = {}): FaultContext {
  return {
    kube,
    runId,
    namespace: NS,
    journal: new MemoryJournal(),
    logger,
    waitTimeoutMs: 10_000,
    now: () => new Date(),
    ...extra,
  };
}

const gatewayParams = (extra: Record<string, unknown> = {}) =>
  certExpiryParams.parse({
    mode: 'gateway',
    gateway: { name: GATEWAY, namespace: NS },
    expiredFor: '2d',
    ...extra,
  });
const meshCaParams = () => certExpiryParams.parse({ mode: 'mesh-ca', expiredFor: '1d' });

async function gateway(): Promise<Gateway> {
  return (await admin.custom.getNamespacedCustomObject({
    group: 'networking.istio.io',
    version: 'v1',
    namespace: NS,
    plural: 'gateways',
    name: GATEWAY,
  })) as Gateway;
}

const credentialName = async () => (await gateway()).spec.servers[0]?.tls?.credentialName;

async function readSecret(name: string): Promise<V1Secret | undefined> {
  try {
    return await admin.core.readNamespacedSecret({ name, namespace: NS });
  } catch {
    return undefined;
  }
}

async function runSecrets(runId: string): Promise<string[]> {
  const list = await admin.core.listNamespacedSecret({
    namespace: NS,
    labelSelector: `gameday/run-id=${runId}`,
  });
  return list.items.map((s) => s.metadata?.name ?? '');
}

async function istiodPods(): Promise<V1Pod[]> {
  return (await admin.core.listNamespacedPod({ namespace: NS, labelSelector: ISTIOD })).items;
}

const livePodNames = async (): Promise<string[]> =>
  (await istiodPods())
    .filter((pod) => !pod.metadata?.deletionTimestamp)
    .map((pod) => pod.metadata?.name ?? '')
    .sort();

function certificateOf(secret: V1Secret | undefined): X509Certificate {
  return new X509Certificate(Buffer.from(secret?.data?.['tls.crt'] ?? '', 'base64'));
}

beforeAll(async () => {
  lab = await startLab({
    speed: 20,
    users: [
      {
        name: 'read-only',
        token: READ_ONLY_TOKEN,
        rules: [{ verbs: ['get', 'list', 'watch'], apiGroups: ['*'], resources: ['*'] }],
      },
    ],
  });
  admin = clients(lab.kubeconfig());
  readOnly = clients(lab.kubeconfig().replace(lab.adminToken, READ_ONLY_TOKEN));
});

afterAll(async () => {
  await lab?.stop();
});

describe('cert-expiry fault, mode gateway', () => {
  // Each test starts from the seeded Gateway: a failed test's leftovers are removed so that it
  // fails alone.
  beforeEach(async () => {
    const current = (await gateway()) as Gateway & { metadata: Record<string, unknown> };
    if (current.spec.servers[0]?.tls?.credentialName !== CREDENTIAL) {
      const tls = current.spec.servers[0]?.tls;
      if (tls) tls.credentialName = CREDENTIAL;
      delete current.metadata.annotations;
      await admin.custom.replaceNamespacedCustomObject({
        group: 'networking.istio.io',
        version: 'v1',
        namespace: NS,
        plural: 'gateways',
        name: GATEWAY,
        body: current,
      });
    }
    if (await readSecret(EXPIRED)) {
      await admin.core.deleteNamespacedSecret({ name: EXPIRED, namespace: NS });
    }
    expect(await credentialName()).toBe(CREDENTIAL);
  });

  it('is not mesh-wide, and preflight finds the server and its Secret', async () => {
    const ctx = context('run-cert-0');
    const p = gatewayParams();
    expect(certExpiry.meshWide(p)).toBe(false);
    const findings = await certExpiry.preflight(ctx, p);
    expect(findings).not.toContainEqual(expect.objectContaining({ severity: 'blocker' }));
    expect(findings).toContainEqual({
      severity: 'info',
      message:
        'traffic success must be probed from the client side (HTTP probe): failed handshakes never reach istio_requests_total',
    });
    expect(
      await certExpiry.preflight(ctx, gatewayParams({ gateway: { name: 'nope', namespace: NS } })),
    ).toContainEqual(expect.objectContaining({ severity: 'blocker' }));
    expect(await certExpiry.preflight(ctx, gatewayParams({ server: 'http' }))).toContainEqual(
      expect.objectContaining({ severity: 'blocker' }),
    );
  });

  it('serves an expired certificate for the same hosts, leaves the original alone, and reverts to exactly the seed', async () => {
    const ctx = context('run-cert-1');
    const p = gatewayParams();
    const originalSecret = await readSecret(CREDENTIAL);
    const originalGateway = await gateway();

    await certExpiry.inject(ctx, p);
    expect(await credentialName()).toBe(EXPIRED);
    const created = await readSecret(EXPIRED);
    expect(created?.type).toBe('kubernetes.io/tls');
    expect(created?.metadata?.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'gameday',
      'gameday/run-id': 'run-cert-1',
    });
    const cert = certificateOf(created);
    expect(cert.checkHost('shop.example.com')).toBe('shop.example.com');
    expect(new Date(cert.validTo).getTime()).toBeLessThan(Date.now() - 24 * 3600_000);
    // A new key: the original private key was neither read into nor copied to the new Secret.
    expect(created?.data?.['tls.key']).not.toBe(originalSecret?.data?.['tls.key']);
    expect(certificateOf(originalSecret).checkHost('shop.example.com')).toBe('shop.example.com');
    expect(await certExpiry.verify(ctx, p)).toMatchObject({ state: 'in-effect' });
    expect(await readSecret(CREDENTIAL)).toEqual(originalSecret);

    await certExpiry.revert(ctx, p);
    expect(await credentialName()).toBe(CREDENTIAL);
    expect(await readSecret(EXPIRED)).toBeUndefined();
    expect(await certExpiry.verify(ctx, p)).toMatchObject({ state: 'reverted' });
    expect(await runSecrets('run-cert-1')).toEqual([]);
    const after = await gateway();
    expect(after.spec).toEqual(originalGateway.spec);
    expect(after.metadata.annotations ?? {}).toEqual(originalGateway.metadata.annotations ?? {});
    expect(await readSecret(CREDENTIAL)).toEqual(originalSecret);
    expect((await ctx.journal.entries()).map((e) => e.state)).toEqual(['reverted', 'reverted']);
  });

  it('is idempotent: a second inject and a second revert change nothing', async () => {
    const ctx = context('run-cert-2');
    const p = gatewayParams({ server: 'shop.example.com' });
    await certExpiry.inject(ctx, p);
    const first = await readSecret(EXPIRED);
    await certExpiry.inject(ctx, p);
    expect(await credentialName()).toBe(EXPIRED);
    expect((await readSecret(EXPIRED))?.data).toEqual(first?.data);
    expect(await runSecrets('run-cert-2')).toEqual([EXPIRED]);
    await certExpiry.revert(ctx, p);
    await certExpiry.revert(ctx, p);
    expect(await credentialName()).toBe(CREDENTIAL);
    expect(await runSecrets('run-cert-2')).toEqual([]);
    expect(await certExpiry.verify(ctx, p)).toMatchObject({ state: 'reverted' });
  });

  it('reverts when someone already deleted the expired Secret, and reports partial meanwhile', async () => {
    const ctx = context('run-cert-3');
    const p = gatewayParams({ server: 'https' });
    await certExpiry.inject(ctx, p);
    await admin.core.deleteNamespacedSecret({ name: EXPIRED, namespace: NS });
    expect(await certExpiry.verify(ctx, p)).toMatchObject({ state: 'partial' });
    await expect(certExpiry.revert(ctx, p)).resolves.toBeUndefined();
    expect(await credentialName()).toBe(CREDENTIAL);
    expect(await certExpiry.verify(ctx, p)).toMatchObject({ state: 'reverted' });
    expect((await ctx.journal.entries()).map((e) => e.state)).toEqual(['reverted', 'reverted']);
  });

  it('without write permissions fails with Forbidden and writes nothing', async () => {
    const ctx = context('run-cert-4', readOnly);
    const p = gatewayParams();
    const before = await gateway();
    const error = await certExpiry.inject(ctx, p).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(Forbidden);
    expect((error as Error).message).toContain('create secrets in namespace istio-system');
    expect(await runSecrets('run-cert-4')).toEqual([]);
    expect(await gateway()).toEqual(before);
    // The Secret is created before the Gateway is patched: the patch was never attempted.
    expect((await ctx.journal.entries()).map((e) => `${e.step} ${e.state}`)).toEqual([
      'expired-secret planned',
    ]);
    await certExpiry.revert(context('run-cert-4', admin, { journal: ctx.journal }), p);
    expect(await ctx.journal.entries()).toEqual([
      expect.objectContaining({ step: 'expired-secret', state: 'reverted' }),
    ]);
  });

  it('dry-run plans the create and the replace and sends no write', async () => {
    const events: string[] = [];
    const resourceVersion = (await admin.core.listNamespace()).metadata?.resourceVersion ?? '';
    const watches = await Promise.all(
      [
        `/api/v1/namespaces/${NS}/secrets`,
        `/apis/networking.istio.io/v1/namespaces/${NS}/gateways`,
      ].map((path) =>
        new Watch(admin.config).watch(
          path,
          { resourceVersion },
          (phase, object: { kind?: string; metadata: { name: string } }) =>
            events.push(`${phase} ${object.metadata.name}`),
          () => undefined,
        ),
      ),
    );
    try {
      const planned: PlannedWrite[] = [];
      const ctx = context('run-cert-5', admin, { dryRun: planned });
      await certExpiry.inject(ctx, gatewayParams());
      expect(planned.map((w) => `${w.verb} ${w.kind} ${w.name}`)).toEqual([
        `create Secret ${EXPIRED}`,
        `replace Gateway ${GATEWAY}`,
      ]);
      expect(planned[1]?.changes).toContainEqual({
        path: '/spec/servers/0/tls/credentialName',
        value: EXPIRED,
      });
      // The plan lands in the run record and reports: the certificate is shown, its key is not.
      const secret = planned[0]?.body as { data: Record<string, string> };
      expect(secret.data['tls.key']).toBe('[REDACTED]');
      expect(Buffer.from(secret.data['tls.crt']!, 'base64').toString()).toContain('CERTIFICATE');
      expect(JSON.stringify(planned)).not.toMatch(/PRIVATE KEY|LS0tLS1CRUdJTiBQUklWQVRF/);
      expect(await ctx.journal.entries()).toEqual([]);
      // A real write made afterwards shows up, proving the watch would have seen one.
      await admin.core.createNamespacedSecret({
        namespace: NS,
        body: { metadata: { name: 'marker' }, data: {} },
      });
      await waitFor(() => events.includes('ADDED marker'), { description: 'the marker Secret' });
      expect(events).toEqual(['ADDED marker']);
      await admin.core.deleteNamespacedSecret({ name: 'marker', namespace: NS });
    } finally {
      for (const watch of watches) watch.abort();
    }
  });
});

describe('cert-expiry fault, mode mesh-ca', () => {
  it('installs an expired CA in a new cacerts, restarts istiod, and reverts to no cacerts', async () => {
    const ctx = context('run-ca-1');
    const p = meshCaParams();
    expect(certExpiry.meshWide(p)).toBe(true);
    expect(await readSecret('cacerts')).toBeUndefined();
    const findings = await certExpiry.preflight(ctx, p);
    expect(findings).toContainEqual(expect.objectContaining({ severity: 'warning' }));
    expect(findings).not.toContainEqual(expect.objectContaining({ severity: 'blocker' }));
    const before = await waitFor(
      async () => {
        const names = await livePodNames();
        return names.length > 0 && names;
      },
      { description: 'istiod pods' },
    );

    await certExpiry.inject(ctx, p);
    const cacerts = await readSecret('cacerts');
    expect(cacerts?.type).toBe('Opaque');
    expect(cacerts?.metadata?.labels).toMatchObject({ 'gameday/run-id': 'run-ca-1' });
    const ca = new X509Certificate(Buffer.from(cacerts?.data?.['ca-cert.pem'] ?? '', 'base64'));
    expect(ca.ca).toBe(true);
    expect(new Date(ca.validTo).getTime()).toBeLessThan(Date.now());
    expect(Object.keys(cacerts?.data ?? {}).sort()).toEqual([
      'ca-cert.pem',
      'ca-key.pem',
      'cert-chain.pem',
      'root-cert.pem',
    ]);
    // The trust anchor stays istiod's current (self-signed) root.
    const selfSigned = await readSecret('istio-ca-secret');
    expect(cacerts?.data?.['root-cert.pem']).toBe(selfSigned?.data?.['ca-cert.pem']);
    expect(await certExpiry.verify(ctx, p)).toMatchObject({ state: 'in-effect' });
    const restarted = await waitFor(
      async () => {
        const names = await livePodNames();
        return names.length > 0 && names.every((n) => !before.includes(n)) && names;
      },
      { description: 'new istiod pods after inject' },
    );

    await certExpiry.revert(ctx, p);
    expect(await readSecret('cacerts')).toBeUndefined();
    expect(await certExpiry.verify(ctx, p)).toMatchObject({ state: 'reverted' });
    await waitFor(
      async () => {
        const names = await livePodNames();
        return names.length > 0 && names.every((n) => !restarted.includes(n));
      },
      { description: 'new istiod pods after revert' },
    );
    expect(await runSecrets('run-ca-1')).toEqual([]);
    expect((await ctx.journal.entries()).map((e) => `${e.step} ${e.state}`)).toEqual([
      'cacerts reverted',
      'restart-istiod reverted',
      'restart-istiod-after-revert reverted',
    ]);
    // A second revert neither restarts istiod again nor fails.
    const settled = await livePodNames();
    await certExpiry.revert(ctx, p);
    expect(await livePodNames()).toEqual(settled);
  });

  it('backs up an existing cacerts in the cluster and restores it exactly', async () => {
    const original = {
      'ca-cert.pem': Buffer.from('plug-in ca').toString('base64'),
      'ca-key.pem': Buffer.from('plug-in key').toString('base64'),
      'root-cert.pem': Buffer.from('plug-in root').toString('base64'),
      'cert-chain.pem': Buffer.from('plug-in chain').toString('base64'),
    };
    await admin.core.createNamespacedSecret({
      namespace: NS,
      body: { metadata: { name: 'cacerts' }, type: 'Opaque', data: original },
    });
    try {
      const ctx = context('run-ca-2');
      const p = meshCaParams();
      await certExpiry.inject(ctx, p);
      const backup = await readSecret('cacerts-gameday-backup');
      expect(backup?.data).toEqual(original);
      const patched = await readSecret('cacerts');
      expect(patched?.data?.['root-cert.pem']).toBe(original['root-cert.pem']);
      expect(patched?.data?.['ca-key.pem']).not.toBe(original['ca-key.pem']);
      expect(await certExpiry.verify(ctx, p)).toMatchObject({ state: 'in-effect' });
      // The journal says where the original is, never what it holds.
      expect(JSON.stringify(await ctx.journal.entries())).not.toContain(original['ca-key.pem']);

      await certExpiry.revert(ctx, p);
      const restored = await readSecret('cacerts');
      expect(restored?.data).toEqual(original);
      expect(restored?.metadata?.annotations ?? {}).toEqual({});
      expect(await readSecret('cacerts-gameday-backup')).toBeUndefined();
      expect(await certExpiry.verify(ctx, p)).toMatchObject({ state: 'reverted' });
      expect(await runSecrets('run-ca-2')).toEqual([]);
    } finally {
      await admin.core.deleteNamespacedSecret({ name: 'cacerts', namespace: NS });
    }
  });
});
