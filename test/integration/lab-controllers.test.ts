import { createPrivateKey, X509Certificate } from 'node:crypto';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../lab/index.js';
import { waitFor } from '../support/index.js';

// The lab runs 20x faster than real time here: the kubelet's 10 s restart back-off takes 0.5 s.
const SPEED = 20;
const NS = 'istio-system';
const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

let lab: Lab;
let apps: AppsV1Api;
let core: CoreV1Api;

beforeEach(async () => {
  lab = await startLab({ speed: SPEED });
  const kc = new KubeConfig();
  kc.loadFromString(lab.kubeconfig());
  apps = kc.makeApiClient(AppsV1Api);
  core = kc.makeApiClient(CoreV1Api);
});

afterEach(async () => {
  await lab?.stop();
});

const istiod = () => apps.readNamespacedDeployment({ name: 'istiod', namespace: NS });
const istiodPods = async () =>
  (await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=istiod' })).items;
const condition = (d: V1Deployment, type: string) =>
  d.status?.conditions?.find((c) => c.type === type);
const isAvailable = (d: V1Deployment) => condition(d, 'Available')?.status === 'True';
const isRunning = (pod: V1Pod) =>
  pod.status?.containerStatuses?.every((c) => c.state?.running) === true;

/** What the istiod-oom fault does: memory request and limit below the working set, optionally a strategy. */
async function patchIstiodMemory(memory: string, strategy?: object): Promise<void> {
  await apps.patchNamespacedDeployment(
    {
      name: 'istiod',
      namespace: NS,
      body: {
        spec: {
          ...(strategy && { strategy }),
          template: {
            spec: {
              containers: [
                { name: 'discovery', resources: { requests: { memory }, limits: { memory } } },
              ],
            },
          },
        },
      },
    },
    strategic,
  );
}

async function rolledOut(): Promise<V1Deployment> {
  return waitFor(
    async () => {
      const d = await istiod();
      const done =
        d.status?.observedGeneration === d.metadata?.generation &&
        d.status?.updatedReplicas === 1 &&
        d.status?.replicas === 1 &&
        d.status?.availableReplicas === 1;
      return done ? d : undefined;
    },
    { description: 'istiod to be rolled out and available', timeoutMs: 15_000 },
  );
}

describe('seeded control plane', () => {
  it('runs istiod as the Istio chart installs it, available with one pod', async () => {
    const d = await rolledOut();
    expect(d.metadata?.labels).toMatchObject({
      app: 'istiod',
      'istio.io/rev': 'default',
      istio: 'pilot',
    });
    expect(d.spec?.selector.matchLabels).toEqual({ istio: 'pilot' });
    expect(d.spec?.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: '100%', maxUnavailable: '25%' },
    });
    const discovery = d.spec?.template.spec?.containers.find((c) => c.name === 'discovery');
    expect(discovery?.resources).toEqual({ requests: { cpu: '500m', memory: '2048Mi' } });
    expect(discovery?.ports?.map((p) => p.containerPort)).toEqual([
      8080, 15010, 15012, 15017, 15014,
    ]);
    expect(condition(d, 'Available')).toMatchObject({
      status: 'True',
      reason: 'MinimumReplicasAvailable',
    });
    expect(condition(d, 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'NewReplicaSetAvailable',
    });
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('1');

    const pods = await istiodPods();
    expect(pods).toHaveLength(1);
    expect(pods[0]?.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'ReplicaSet',
      controller: true,
    });
    expect(pods[0]?.metadata?.labels?.['pod-template-hash']).toMatch(
      /^[bcdfghjklmnpqrstvwxz2456789]+$/,
    );
    expect(pods[0]?.spec?.nodeName).toBeTruthy();
  });
});

describe('seeded ingress gateway', () => {
  it('serves shop.example.com with a valid certificate from the Secret its credentialName names', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(lab.kubeconfig());
    const gateway = (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      namespace: NS,
      plural: 'gateways',
      name: 'shop-gateway',
    })) as {
      spec: {
        selector: Record<string, string>;
        servers: Array<{ hosts: string[]; tls?: { mode?: string; credentialName?: string } }>;
      };
    };
    expect(gateway.spec.selector).toEqual({ istio: 'ingressgateway' });
    const https = gateway.spec.servers.find((s) => s.tls?.mode === 'SIMPLE');
    expect(https?.hosts).toEqual(['shop.example.com']);

    const secret = await core.readNamespacedSecret({
      name: https?.tls?.credentialName ?? '',
      namespace: NS,
    });
    expect(secret.type).toBe('kubernetes.io/tls');
    const cert = new X509Certificate(Buffer.from(secret.data?.['tls.crt'] ?? '', 'base64'));
    const key = createPrivateKey(Buffer.from(secret.data?.['tls.key'] ?? '', 'base64'));
    expect(cert.checkHost('shop.example.com')).toBe('shop.example.com');
    expect(cert.checkPrivateKey(key)).toBe(true);
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(Date.now());
    expect(new Date(cert.validFrom).getTime()).toBeLessThanOrEqual(Date.now());
  });
});

describe('ReplicaSet controller', () => {
  it('recreates a deleted istiod pod', async () => {
    await rolledOut();
    const [before] = await istiodPods();
    await core.deleteNamespacedPod({ name: before?.metadata?.name ?? '', namespace: NS });
    const replacement = await waitFor(
      async () =>
        (await istiodPods()).find(
          (p) => p.metadata?.name !== before?.metadata?.name && isRunning(p),
        ),
      { description: 'a replacement istiod pod to run' },
    );
    expect(replacement.metadata?.ownerReferences?.[0]?.uid).toBe(
      before?.metadata?.ownerReferences?.[0]?.uid,
    );
    expect(await istiodPods()).toHaveLength(1);
  });
});

describe('Deployment controller', () => {
  it('rolls a pod template change out through a new ReplicaSet', async () => {
    await rolledOut();
    await apps.patchNamespacedDeployment(
      {
        name: 'istiod',
        namespace: NS,
        body: {
          spec: {
            template: {
              spec: {
                containers: [
                  { name: 'discovery', env: [{ name: 'PILOT_TRACE_SAMPLING', value: '5' }] },
                ],
              },
            },
          },
        },
      },
      strategic,
    );
    const d = await rolledOut();
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    const sets = (
      await apps.listNamespacedReplicaSet({ namespace: NS, labelSelector: 'app=istiod' })
    ).items;
    expect(sets).toHaveLength(2);
    const byRevision = Object.fromEntries(
      sets.map((rs) => [
        rs.metadata?.annotations?.['deployment.kubernetes.io/revision'],
        rs.spec?.replicas,
      ]),
    );
    expect(byRevision).toEqual({ '1': 0, '2': 1 });
    const events = (
      await core.listNamespacedEvent({ namespace: NS, fieldSelector: 'involvedObject.name=istiod' })
    ).items;
    expect(events.map((e) => e.reason)).toContain('ScalingReplicaSet');
  });

  it('OOM-kills istiod into CrashLoopBackOff when memory is patched below its working set, and recovers on restore', async () => {
    const original = await rolledOut();
    await patchIstiodMemory('32Mi', { rollingUpdate: { maxSurge: 0, maxUnavailable: '100%' } });
    const crashing = await waitFor(
      async () => {
        const pods = await istiodPods();
        const status = pods[0]?.status?.containerStatuses?.[0];
        const looping =
          pods.length === 1 &&
          status?.state?.waiting?.reason === 'CrashLoopBackOff' &&
          status.lastState?.terminated?.reason === 'OOMKilled' &&
          (status.restartCount ?? 0) >= 2;
        return looping ? pods[0] : undefined;
      },
      { description: 'istiod to crash-loop on OOMKilled', timeoutMs: 20_000 },
    );
    expect(crashing.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode).toBe(137);
    const down = await waitFor(
      async () => ((d) => (d.status?.availableReplicas === 0 ? d : undefined))(await istiod()),
      {
        description: 'istiod to have no available replica',
      },
    );
    // As in Kubernetes, maxUnavailable 100% means zero available replicas still counts as "Available".
    expect(down.status).toMatchObject({ replicas: 1, updatedReplicas: 1, unavailableReplicas: 1 });
    expect(condition(down, 'Available')?.status).toBe('True');
    const podEvents = (
      await core.listNamespacedEvent({
        namespace: NS,
        fieldSelector: `involvedObject.name=${crashing.metadata?.name}`,
      })
    ).items;
    expect(podEvents.map((e) => e.reason)).toContain('BackOff');

    // Restore exactly what was there: the fault's revert does the same.
    const current = await istiod();
    await apps.replaceNamespacedDeployment({
      name: 'istiod',
      namespace: NS,
      body: {
        ...current,
        spec: {
          ...current.spec!,
          strategy: original.spec?.strategy,
          template: original.spec!.template,
        },
      },
    });
    const restored = await rolledOut();
    expect(isAvailable(restored)).toBe(true);
    expect((await istiodPods()).every(isRunning)).toBe(true);
  });

  it('reports ProgressDeadlineExceeded when a rollout makes no progress in time', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'payments',
      body: {
        metadata: { name: 'stuck' },
        spec: {
          progressDeadlineSeconds: 10,
          selector: { matchLabels: { app: 'stuck' } },
          template: {
            metadata: { labels: { app: 'stuck' } },
            spec: {
              containers: [
                { name: 'c', image: 'example/c:1', resources: { limits: { memory: '16Mi' } } },
              ],
            },
          },
        },
      },
    });
    const stuck = await waitFor(
      async () => {
        const d = await apps.readNamespacedDeployment({ name: 'stuck', namespace: 'payments' });
        return condition(d, 'Progressing')?.reason === 'ProgressDeadlineExceeded' ? d : undefined;
      },
      { description: 'the rollout to exceed its progress deadline', timeoutMs: 15_000 },
    );
    expect(condition(stuck, 'Progressing')).toMatchObject({
      status: 'False',
      message: expect.stringMatching(/^ReplicaSet "stuck-\w+" has timed out progressing\.$/),
    });
  });

  it('with the chart-default strategy a bad limit only stalls the rollout: the old pod keeps serving', async () => {
    await rolledOut();
    await patchIstiodMemory('32Mi');
    const stalled = await waitFor(
      async () => {
        const pods = await istiodPods();
        const crashing = pods.filter(
          (p) => p.status?.containerStatuses?.[0]?.lastState?.terminated?.reason === 'OOMKilled',
        );
        return pods.length === 2 && crashing.length === 1 && pods.some(isRunning)
          ? pods
          : undefined;
      },
      { description: 'a surge pod crash-looping beside the old one', timeoutMs: 20_000 },
    );
    expect(stalled).toHaveLength(2);
    const d = await istiod();
    expect(isAvailable(d)).toBe(true);
    expect(d.status).toMatchObject({ replicas: 2, updatedReplicas: 1, availableReplicas: 1 });
  });
});
