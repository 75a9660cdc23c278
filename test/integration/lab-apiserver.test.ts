import {
  ApiException,
  ApisApi,
  AppsV1Api,
  CoreApi,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
  VersionApi,
  Watch,
  type V1Deployment,
} from '@kubernetes/client-node';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../lab/index.js';
import { waitFor } from '../support/index.js';

// Everything here goes through @kubernetes/client-node over HTTP, as the product's fault
// code does against a real cluster; nothing reaches into the lab's internals.

const VIEWER_TOKEN = 'viewer-token-0123456789abcdef';
let lab: Lab;
let kc: KubeConfig;
let core: CoreV1Api;
let apps: AppsV1Api;
let networking: NetworkingV1Api;
let custom: CustomObjectsApi;

function client(kubeconfig: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromString(kubeconfig);
  return config;
}

interface StatusBody {
  kind: string;
  status: string;
  reason: string;
  code: number;
  message: string;
  details?: {
    name?: string;
    kind?: string;
    group?: string;
    causes?: Array<{ reason: string; field: string; message: string }>;
  };
}

/** The `Status` the API server answered with, from the exception client-node throws. */
async function statusOf(call: Promise<unknown>): Promise<StatusBody> {
  try {
    await call;
  } catch (err) {
    if (err instanceof ApiException) {
      // client-node passes the Status body on for most codes, but not for 401.
      if (err.body === undefined) return { code: err.code } as StatusBody;
      const body =
        typeof err.body === 'string'
          ? (JSON.parse(err.body) as StatusBody)
          : (err.body as StatusBody);
      expect(body.code).toBe(err.code);
      return body;
    }
    throw err;
  }
  throw new Error('expected the API server to refuse the request');
}

/** A request the typed clients cannot make, sent with client-node's TLS and credentials. */
async function rawRequest(
  config: KubeConfig,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; body: unknown }> {
  const url = new URL(path, config.getCurrentCluster()?.server);
  const options: RequestOptions = {
    method,
    hostname: url.hostname,
    port: url.port,
    path: url.pathname,
    headers: { 'Content-Type': 'application/json' },
  };
  await config.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(options, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const strategicPatch = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

function deployment(name: string, memory = { request: '64Mi', limit: '128Mi' }): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'main',
              image: 'example/app:1.0',
              resources: { requests: { memory: memory.request }, limits: { memory: memory.limit } },
            },
            { name: 'sidecar', image: 'example/sidecar:1.0' },
          ],
        },
      },
    },
  };
}

beforeAll(async () => {
  lab = await startLab({
    seed: 'namespaces',
    users: [
      {
        name: 'viewer',
        token: VIEWER_TOKEN,
        rules: [
          {
            verbs: ['get', 'list', 'watch'],
            apiGroups: ['*'],
            resources: ['*'],
            namespaces: ['payments'],
          },
        ],
      },
    ],
  });
  kc = client(lab.kubeconfig());
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
  networking = kc.makeApiClient(NetworkingV1Api);
  custom = kc.makeApiClient(CustomObjectsApi);
});

afterAll(async () => {
  await lab?.stop();
});

describe('discovery', () => {
  it('serves /version, /api and /apis with every group the faults use', async () => {
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version.major).toBe('1');
    const coreVersions = await kc.makeApiClient(CoreApi).getAPIVersions();
    expect(coreVersions.versions).toEqual(['v1']);
    const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
    const byName = Object.fromEntries(
      groups.groups.map((g) => [g.name, g.versions.map((v) => v.version)]),
    );
    expect(byName).toMatchObject({
      apps: ['v1'],
      'networking.k8s.io': ['v1'],
      'admissionregistration.k8s.io': ['v1'],
      'security.istio.io': ['v1', 'v1beta1'],
      'networking.istio.io': ['v1', 'v1beta1'],
    });
  });

  it('lists the resources of a group version with their verbs', async () => {
    const list = await core.getAPIResources();
    const pods = list.resources.find((r) => r.name === 'pods');
    expect(pods).toMatchObject({ namespaced: true, kind: 'Pod', shortNames: ['po'] });
    expect(pods?.verbs).toEqual(
      expect.arrayContaining(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']),
    );
    expect(list.resources.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'namespaces',
        'services',
        'serviceaccounts',
        'secrets',
        'configmaps',
        'events',
        'pods/status',
      ]),
    );
  });
});

describe('create and get', () => {
  it('fills server-owned metadata and honours generateName', async () => {
    const created = await core.createNamespacedConfigMap({
      namespace: 'payments',
      body: { metadata: { generateName: 'settings-' }, data: { a: '1' } },
    });
    expect(created.metadata?.name).toMatch(/^settings-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(Date.parse(String(created.metadata?.creationTimestamp))).not.toBeNaN();
    const read = await core.readNamespacedConfigMap({
      name: created.metadata?.name ?? '',
      namespace: 'payments',
    });
    expect(read.data).toEqual({ a: '1' });
    expect(read.metadata?.uid).toBe(created.metadata?.uid);
  });

  it('answers NotFound, AlreadyExists and a missing namespace as kube-apiserver does', async () => {
    const missing = await statusOf(
      core.readNamespacedSecret({ name: 'nope', namespace: 'payments' }),
    );
    expect(missing).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
      message: 'secrets "nope" not found',
      details: { name: 'nope', kind: 'secrets' },
    });

    await core.createNamespacedSecret({
      namespace: 'payments',
      body: { metadata: { name: 'dup' } },
    });
    const dup = await statusOf(
      core.createNamespacedSecret({ namespace: 'payments', body: { metadata: { name: 'dup' } } }),
    );
    expect(dup).toMatchObject({
      reason: 'AlreadyExists',
      code: 409,
      message: 'secrets "dup" already exists',
    });

    const noNamespace = await statusOf(
      core.createNamespacedSecret({ namespace: 'ghost', body: { metadata: { name: 's' } } }),
    );
    expect(noNamespace).toMatchObject({
      reason: 'NotFound',
      code: 404,
      message: 'namespaces "ghost" not found',
    });
  });

  it('rejects a body whose namespace differs from the URL', async () => {
    const status = await statusOf(
      core.createNamespacedSecret({
        namespace: 'payments',
        body: { metadata: { name: 'x', namespace: 'orders' } },
      }),
    );
    expect(status).toMatchObject({ reason: 'BadRequest', code: 400 });
    expect(status.message).toContain('does not match the namespace');
  });
});

describe('validation', () => {
  it('answers 422 Invalid naming the field for a memory request above its limit', async () => {
    const status = await statusOf(
      apps.createNamespacedDeployment({
        namespace: 'payments',
        body: deployment('greedy', { request: '256Mi', limit: '128Mi' }),
      }),
    );
    expect(status).toMatchObject({ reason: 'Invalid', code: 422 });
    expect(status.details?.causes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          reason: 'FieldValueInvalid',
          field: 'spec.template.spec.containers[0].resources.requests',
        }),
      ]),
    );
    expect(status.message).toMatch(/^Deployment\.apps "greedy" is invalid: /);
  });

  it('rejects a NetworkPolicy port outside 1-65535', async () => {
    const status = await statusOf(
      networking.createNamespacedNetworkPolicy({
        namespace: 'payments',
        body: {
          metadata: { name: 'bad-port' },
          spec: { podSelector: {}, ingress: [{ ports: [{ port: 70000, protocol: 'TCP' }] }] },
        },
      }),
    );
    expect(status.reason).toBe('Invalid');
    expect(status.details?.causes?.[0]?.field).toBe('spec.ingress[0].ports[0].port');
  });

  it('rejects an AuthorizationPolicy action outside the enum', async () => {
    const status = await statusOf(
      custom.createNamespacedCustomObject({
        group: 'security.istio.io',
        version: 'v1',
        namespace: 'payments',
        plural: 'authorizationpolicies',
        body: {
          apiVersion: 'security.istio.io/v1',
          kind: 'AuthorizationPolicy',
          metadata: { name: 'bad-action' },
          spec: { action: 'BLOCK', rules: [{}] },
        },
      }),
    );
    expect(status.code).toBeGreaterThanOrEqual(400);
    expect(status.code).toBeLessThan(500);
    expect(JSON.stringify(status)).toContain('spec.action');
  });
});

describe('list with selectors and pagination', () => {
  beforeAll(async () => {
    const pods: Array<{ ns: string; name: string; labels: Record<string, string> }> = [
      { ns: 'orders', name: 'api-1', labels: { app: 'api', tier: 'backend' } },
      { ns: 'orders', name: 'api-2', labels: { app: 'api', tier: 'backend', canary: 'true' } },
      { ns: 'orders', name: 'web-1', labels: { app: 'web', tier: 'frontend' } },
      { ns: 'frontend', name: 'web-2', labels: { app: 'web' } },
    ];
    for (const pod of pods) {
      await core.createNamespacedPod({
        namespace: pod.ns,
        body: {
          metadata: { name: pod.name, labels: pod.labels },
          spec: { containers: [{ name: 'c', image: 'i' }] },
        },
      });
    }
  });

  const names = (list: { items: Array<{ metadata?: { name?: string } }> }) =>
    list.items.map((i) => i.metadata?.name);

  it.each([
    ['app=api', ['api-1', 'api-2']],
    ['app==web', ['web-1']],
    ['tier!=backend', ['web-1']],
    ['app in (api,web),tier', ['api-1', 'api-2', 'web-1']],
    ['app notin (api)', ['web-1']],
    ['canary', ['api-2']],
    ['!canary,app=api', ['api-1']],
  ])('labelSelector %s', async (labelSelector, expected) => {
    expect(names(await core.listNamespacedPod({ namespace: 'orders', labelSelector }))).toEqual(
      expected,
    );
  });

  it('lists across all namespaces and filters by metadata fields', async () => {
    const all = await core.listPodForAllNamespaces({ labelSelector: 'app=web' });
    expect(all.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`)).toEqual([
      'frontend/web-2',
      'orders/web-1',
    ]);
    const byName = await core.listPodForAllNamespaces({ fieldSelector: 'metadata.name=api-2' });
    expect(names(byName)).toEqual(['api-2']);
    const byNamespace = await core.listPodForAllNamespaces({
      fieldSelector: 'metadata.namespace!=orders',
      labelSelector: 'app',
    });
    expect(names(byNamespace)).toEqual(['web-2']);
  });

  it('refuses malformed selectors with 400', async () => {
    const bad = await statusOf(
      core.listNamespacedPod({ namespace: 'orders', labelSelector: 'app in (api' }),
    );
    expect(bad).toMatchObject({ reason: 'BadRequest', code: 400 });
    const unsupported = await statusOf(
      core.listNamespacedPod({ namespace: 'orders', fieldSelector: 'spec.replicas=1' }),
    );
    expect(unsupported).toMatchObject({ reason: 'BadRequest', code: 400 });
    expect(unsupported.message).toContain('field label not supported: spec.replicas');
  });

  it('pages with limit and continue', async () => {
    const first = await core.listNamespacedPod({ namespace: 'orders', limit: 2 });
    expect(names(first)).toEqual(['api-1', 'api-2']);
    expect(first.metadata?._continue).toBeTruthy();
    expect(first.metadata?.remainingItemCount).toBe(1);
    const rest = await core.listNamespacedPod({
      namespace: 'orders',
      limit: 2,
      _continue: first.metadata?._continue ?? '',
    });
    expect(names(rest)).toEqual(['web-1']);
    expect(rest.metadata?._continue).toBeFalsy();
  });
});

describe('replace and patch', () => {
  it('replaces with a resourceVersion precondition and answers 409 Conflict when stale', async () => {
    const created = await core.createNamespacedConfigMap({
      namespace: 'orders',
      body: { metadata: { name: 'rv' }, data: { v: '1' } },
    });
    const updated = await core.replaceNamespacedConfigMap({
      name: 'rv',
      namespace: 'orders',
      body: { ...created, data: { v: '2' } },
    });
    expect(Number(updated.metadata?.resourceVersion)).toBeGreaterThan(
      Number(created.metadata?.resourceVersion),
    );
    const stale = await statusOf(
      core.replaceNamespacedConfigMap({
        name: 'rv',
        namespace: 'orders',
        body: { ...created, data: { v: '3' } },
      }),
    );
    expect(stale).toMatchObject({ reason: 'Conflict', code: 409 });
    expect(stale.message).toBe(
      'Operation cannot be fulfilled on configmaps "rv": the object has been modified; please apply your changes to the latest version and try again',
    );
    expect((await core.readNamespacedConfigMap({ name: 'rv', namespace: 'orders' })).data).toEqual({
      v: '2',
    });
  });

  it('applies a merge patch (null deletes, lists replace)', async () => {
    await core.createNamespacedConfigMap({
      namespace: 'orders',
      body: { metadata: { name: 'mp', labels: { a: '1', b: '2' } }, data: { x: '1' } },
    });
    const patched = await core.patchNamespacedConfigMap(
      {
        name: 'mp',
        namespace: 'orders',
        body: { metadata: { labels: { a: null, c: '3' } }, data: { y: '2' } },
      },
      mergePatch,
    );
    expect(patched.metadata?.labels).toEqual({ b: '2', c: '3' });
    expect(patched.data).toEqual({ x: '1', y: '2' });
  });

  it('applies a strategic merge patch that merges containers by name and bumps generation', async () => {
    const created = await apps.createNamespacedDeployment({
      namespace: 'orders',
      body: deployment('smp'),
    });
    const patched = await apps.patchNamespacedDeployment(
      {
        name: 'smp',
        namespace: 'orders',
        body: {
          spec: {
            strategy: {
              type: 'RollingUpdate',
              rollingUpdate: { maxSurge: 0, maxUnavailable: '100%' },
            },
            template: {
              spec: {
                containers: [
                  {
                    name: 'main',
                    resources: { requests: { memory: '16Mi' }, limits: { memory: '32Mi' } },
                  },
                ],
              },
            },
          },
        },
      },
      strategicPatch,
    );
    const containers = patched.spec?.template.spec?.containers ?? [];
    expect(containers.map((c) => c.name)).toEqual(['main', 'sidecar']);
    expect(containers[0]?.image).toBe('example/app:1.0');
    expect(containers[0]?.resources?.limits).toEqual({ memory: '32Mi' });
    expect(patched.spec?.strategy?.rollingUpdate).toEqual({ maxSurge: 0, maxUnavailable: '100%' });
    expect(patched.metadata?.generation).toBe((created.metadata?.generation ?? 0) + 1);
  });

  it('applies a JSON patch and refuses one whose test fails', async () => {
    await core.createNamespacedConfigMap({
      namespace: 'orders',
      body: { metadata: { name: 'jp' }, data: { k: 'v' } },
    });
    const patched = await core.patchNamespacedConfigMap(
      {
        name: 'jp',
        namespace: 'orders',
        body: [
          { op: 'test', path: '/data/k', value: 'v' },
          { op: 'replace', path: '/data/k', value: 'w' },
          { op: 'add', path: '/data/n', value: 'new' },
        ],
      },
      jsonPatch,
    );
    expect(patched.data).toEqual({ k: 'w', n: 'new' });
    const failed = await statusOf(
      core.patchNamespacedConfigMap(
        { name: 'jp', namespace: 'orders', body: [{ op: 'test', path: '/data/k', value: 'v' }] },
        jsonPatch,
      ),
    );
    expect(failed.code).toBeGreaterThanOrEqual(400);
    expect(failed.code).toBeLessThan(500);
  });

  it('refuses strategic merge patches on Istio custom resources with 415', async () => {
    await custom.createNamespacedCustomObject({
      group: 'security.istio.io',
      version: 'v1',
      namespace: 'orders',
      plural: 'authorizationpolicies',
      body: {
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        metadata: { name: 'allow-all' },
        spec: { rules: [{}] },
      },
    });
    const status = await statusOf(
      custom.patchNamespacedCustomObject(
        {
          group: 'security.istio.io',
          version: 'v1',
          namespace: 'orders',
          plural: 'authorizationpolicies',
          name: 'allow-all',
          body: { spec: { action: 'DENY' } },
        },
        strategicPatch,
      ),
    );
    expect(status).toMatchObject({ reason: 'UnsupportedMediaType', code: 415 });
  });

  it('serves Istio resources under v1 and v1beta1 alike', async () => {
    await custom.createNamespacedCustomObject({
      group: 'security.istio.io',
      version: 'v1beta1',
      namespace: 'orders',
      plural: 'authorizationpolicies',
      body: {
        apiVersion: 'security.istio.io/v1beta1',
        kind: 'AuthorizationPolicy',
        metadata: { name: 'deny-typo' },
        spec: {
          action: 'DENY',
          rules: [{ from: [{ source: { notPrincipals: ['cluster.local/ns/orders/sa/ordrs'] } }] }],
        },
      },
    });
    const asV1 = (await custom.getNamespacedCustomObject({
      group: 'security.istio.io',
      version: 'v1',
      namespace: 'orders',
      plural: 'authorizationpolicies',
      name: 'deny-typo',
    })) as { apiVersion: string; spec: { action: string } };
    expect(asV1.apiVersion).toBe('security.istio.io/v1');
    expect(asV1.spec.action).toBe('DENY');
  });
});

describe('delete', () => {
  it('answers a Status, honours preconditions and cascades to dependents', async () => {
    const owner = await core.createNamespacedConfigMap({
      namespace: 'frontend',
      body: { metadata: { name: 'owner' } },
    });
    await core.createNamespacedSecret({
      namespace: 'frontend',
      body: {
        metadata: {
          name: 'owned',
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata?.uid ?? '' },
          ],
        },
      },
    });
    const refused = await statusOf(
      core.deleteNamespacedConfigMap({
        name: 'owner',
        namespace: 'frontend',
        body: { preconditions: { uid: 'not-the-uid' } },
      }),
    );
    expect(refused).toMatchObject({ reason: 'Conflict', code: 409 });

    const status = (await core.deleteNamespacedConfigMap({
      name: 'owner',
      namespace: 'frontend',
    })) as unknown as StatusBody;
    expect(status).toMatchObject({
      kind: 'Status',
      status: 'Success',
      details: { name: 'owner', kind: 'configmaps' },
    });
    expect(
      (await statusOf(core.readNamespacedSecret({ name: 'owned', namespace: 'frontend' }))).reason,
    ).toBe('NotFound');
    expect(
      (await statusOf(core.deleteNamespacedConfigMap({ name: 'owner', namespace: 'frontend' })))
        .reason,
    ).toBe('NotFound');
  });

  it('deletes a collection by label', async () => {
    for (const name of ['c1', 'c2', 'keep']) {
      await core.createNamespacedConfigMap({
        namespace: 'frontend',
        body: { metadata: { name, labels: { batch: name === 'keep' ? 'no' : 'yes' } } },
      });
    }
    await core.deleteCollectionNamespacedConfigMap({
      namespace: 'frontend',
      labelSelector: 'batch=yes',
    });
    const left = await core.listNamespacedConfigMap({
      namespace: 'frontend',
      labelSelector: 'batch',
    });
    expect(left.items.map((i) => i.metadata?.name)).toEqual(['keep']);
  });
});

describe('methods', () => {
  it('answers 405 MethodNotAllowed for a verb the path does not take', async () => {
    const res = await rawRequest(kc, 'PUT', '/api/v1/namespaces/orders/pods', '{}');
    expect(res.status).toBe(405);
    expect(res.body).toMatchObject({
      kind: 'Status',
      reason: 'MethodNotAllowed',
      code: 405,
    });
  });
});

describe('authentication and authorization', () => {
  it('answers 401 without a valid token', async () => {
    const anonymous = client(lab.kubeconfig().replace(lab.adminToken, 'wrong-token'));
    const status = await statusOf(anonymous.makeApiClient(CoreV1Api).listNamespace());
    expect(status.code).toBe(401);
    const raw = await rawRequest(anonymous, 'GET', '/api/v1/namespaces');
    expect(raw.status).toBe(401);
    expect(raw.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
  });

  it('answers 403 naming the verb, resource and namespace the user lacks', async () => {
    const viewerConfig = client(lab.kubeconfig().replace(lab.adminToken, VIEWER_TOKEN));
    const viewer = viewerConfig.makeApiClient(CoreV1Api);
    expect((await viewer.listNamespacedPod({ namespace: 'payments' })).items).toBeDefined();
    const denied = await statusOf(viewer.deleteNamespacedPod({ name: 'x', namespace: 'payments' }));
    expect(denied).toMatchObject({ reason: 'Forbidden', code: 403 });
    expect(denied.message).toBe(
      'pods "x" is forbidden: User "viewer" cannot delete resource "pods" in API group "" in the namespace "payments"',
    );
    const otherNamespace = await statusOf(viewer.listNamespacedPod({ namespace: 'orders' }));
    expect(otherNamespace.reason).toBe('Forbidden');
  });
});

describe('watch', () => {
  it('streams ADDED, MODIFIED and DELETED, resumes from a resourceVersion and follows label filters', async () => {
    const events: string[] = [];
    const watcher = new Watch(kc);
    const list = await core.listNamespacedConfigMap({ namespace: 'kube-public' });
    const from = list.metadata?.resourceVersion ?? '';
    const controller = await watcher.watch(
      '/api/v1/namespaces/kube-public/configmaps',
      { resourceVersion: from, labelSelector: 'watched=yes' },
      (phase, object: { metadata: { name: string } }) =>
        events.push(`${phase} ${object.metadata.name}`),
      () => undefined,
    );
    try {
      await core.createNamespacedConfigMap({
        namespace: 'kube-public',
        body: { metadata: { name: 'w1', labels: { watched: 'yes' } } },
      });
      await core.createNamespacedConfigMap({
        namespace: 'kube-public',
        body: { metadata: { name: 'ignored' } },
      });
      await core.patchNamespacedConfigMap(
        { name: 'w1', namespace: 'kube-public', body: { data: { a: 'b' } } },
        mergePatch,
      );
      await core.patchNamespacedConfigMap(
        { name: 'w1', namespace: 'kube-public', body: { metadata: { labels: { watched: 'no' } } } },
        mergePatch,
      );
      await core.patchNamespacedConfigMap(
        {
          name: 'w1',
          namespace: 'kube-public',
          body: { metadata: { labels: { watched: 'yes' } } },
        },
        mergePatch,
      );
      await core.deleteNamespacedConfigMap({ name: 'w1', namespace: 'kube-public' });
      await waitFor(() => events.length >= 5, { description: 'five watch events' });
      expect(events).toEqual(['ADDED w1', 'MODIFIED w1', 'DELETED w1', 'ADDED w1', 'DELETED w1']);
    } finally {
      controller.abort();
    }

    // Resuming from the list's resourceVersion replays exactly what happened since.
    const replayed: string[] = [];
    const resumed = await watcher.watch(
      '/api/v1/namespaces/kube-public/configmaps',
      { resourceVersion: from },
      (phase, object: { metadata: { name: string } }) =>
        replayed.push(`${phase} ${object.metadata.name}`),
      () => undefined,
    );
    try {
      await waitFor(() => replayed.length >= 6, { description: 'the replayed history' });
      expect(replayed).toEqual([
        'ADDED w1',
        'ADDED ignored',
        'MODIFIED w1',
        'MODIFIED w1',
        'MODIFIED w1',
        'DELETED w1',
      ]);
    } finally {
      resumed.abort();
    }
  });

  it('without a resourceVersion starts with the current objects as ADDED', async () => {
    const seen: string[] = [];
    const controller = await new Watch(kc).watch(
      '/api/v1/namespaces',
      {},
      (phase, object: { metadata: { name: string } }) =>
        seen.push(`${phase} ${object.metadata.name}`),
      () => undefined,
    );
    try {
      await waitFor(() => seen.includes('ADDED istio-system'), {
        description: 'the existing namespaces',
      });
      expect(seen).toContain('ADDED default');
    } finally {
      controller.abort();
    }
  });
});

describe('watch from a compacted resourceVersion', () => {
  it('answers with an ERROR event carrying 410 Expired, as after etcd compaction', async () => {
    const small = await startLab({ seed: 'namespaces', watchHistory: 5 });
    try {
      const config = client(small.kubeconfig());
      const smallCore = config.makeApiClient(CoreV1Api);
      const start = (await smallCore.listNamespace()).metadata?.resourceVersion ?? '';
      for (let i = 0; i < 10; i++) {
        await smallCore.createNamespacedConfigMap({
          namespace: 'default',
          body: { metadata: { name: `c${i}` } },
        });
      }
      const seen: Array<{ phase: string; object: StatusBody }> = [];
      const controller = await new Watch(config).watch(
        '/api/v1/namespaces/default/configmaps',
        { resourceVersion: start },
        (phase, object: StatusBody) => seen.push({ phase, object }),
        () => undefined,
      );
      try {
        await waitFor(() => seen.length > 0, { description: 'the watch to answer' });
        expect(seen[0]).toMatchObject({
          phase: 'ERROR',
          object: { kind: 'Status', reason: 'Expired', code: 410 },
        });
        expect(seen[0]?.object.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
      } finally {
        controller.abort();
      }
    } finally {
      await small.stop();
    }
  });
});
