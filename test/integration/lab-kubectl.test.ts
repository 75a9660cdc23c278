import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  NetworkingV1Api,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startLab, type Lab } from '../../lab/index.js';
import { startEntryProcess } from '../support/entry-process.js';
import { waitFor } from '../support/index.js';

// Responders rehearse with kubectl, so the lab must satisfy the real binary (installed by
// .ci/run: Debian's kubernetes-client when no kubectl is on the PATH).
const run = promisify(execFile);
const NS = 'payments';

let lab: Lab;
let dir: string;
let kubeconfigPath: string;
let core: CoreV1Api;
let apps: AppsV1Api;
let networking: NetworkingV1Api;
let custom: CustomObjectsApi;

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run('kubectl', ['--kubeconfig', kubeconfigPath, ...args], {
    timeout: 20_000,
  });
  return stdout;
}

async function gone(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return false;
  } catch (err) {
    if (err instanceof ApiException && err.code === 404) return true;
    throw err;
  }
}

beforeAll(async () => {
  lab = await startLab({ speed: 20 });
  dir = await mkdtemp(join(tmpdir(), 'gameday-kubectl-'));
  kubeconfigPath = join(dir, 'kubeconfig');
  await writeFile(kubeconfigPath, lab.kubeconfig(), { mode: 0o600 });
  const kc = new KubeConfig();
  kc.loadFromString(lab.kubeconfig());
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
  networking = kc.makeApiClient(NetworkingV1Api);
  custom = kc.makeApiClient(CustomObjectsApi);
  await waitFor(
    async () => (await kubectl('get', 'pods', '-n', 'istio-system')).includes('Running'),
    {
      description: 'istiod to run',
    },
  );
});

afterAll(async () => {
  await lab?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('kubectl against the lab', () => {
  it('get shows the columns a real cluster prints', async () => {
    const pods = await kubectl('get', 'pods', '-n', 'istio-system', '-l', 'app=istiod');
    expect(pods).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/);
    expect(pods).toMatch(/istiod-\w+-\w+\s+1\/1\s+Running\s+0\s+/);
    const deployments = await kubectl('get', 'deploy', '-n', 'istio-system');
    expect(deployments).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE/);
    expect(deployments).toMatch(/istiod\s+1\/1\s+1\s+1\s+/);
  });

  it('get -o yaml shows istiod as an Istio operator expects it', async () => {
    const istiod = parse(
      await kubectl('get', 'deploy', '-n', 'istio-system', 'istiod', '-o', 'yaml'),
    ) as {
      kind: string;
      metadata: { labels: Record<string, string> };
      spec: {
        strategy: unknown;
        template: { spec: { containers: Array<{ name: string; image: string }> } };
      };
    };
    expect(istiod.kind).toBe('Deployment');
    expect(istiod.metadata.labels).toMatchObject({ app: 'istiod', 'istio.io/rev': 'default' });
    expect(istiod.spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: '100%', maxUnavailable: '25%' },
    });
    expect(istiod.spec.template.spec.containers[0]).toMatchObject({
      name: 'discovery',
      image: expect.stringMatching(/istio\/pilot:/),
    });
  });

  it('describe shows ownership, conditions and events', async () => {
    const deployment = await kubectl('describe', 'deploy', '-n', 'istio-system', 'istiod');
    expect(deployment).toMatch(
      /Replicas:\s+1 desired \| 1 updated \| 1 total \| 1 available \| 0 unavailable/,
    );
    expect(deployment).toMatch(/StrategyType:\s+RollingUpdate/);
    expect(deployment).toContain('ScalingReplicaSet');
    const [pod] = (
      await kubectl('get', 'pods', '-n', 'istio-system', '-l', 'app=istiod', '-o', 'name')
    )
      .trim()
      .split('\n');
    const described = await kubectl('describe', '-n', 'istio-system', pod ?? '');
    expect(described).toMatch(/Controlled By:\s+ReplicaSet\/istiod-/);
    expect(described).toMatch(/Status:\s+Running/);
  });

  it.each([
    [
      'pods',
      async (name: string) =>
        core.createNamespacedPod({
          namespace: NS,
          body: { metadata: { name }, spec: { containers: [{ name: 'c', image: 'example/c:1' }] } },
        }),
      (name: string) => core.readNamespacedPod({ name, namespace: NS }),
    ],
    [
      'deployments',
      async (name: string) =>
        apps.createNamespacedDeployment({
          namespace: NS,
          body: {
            metadata: { name },
            spec: {
              selector: { matchLabels: { app: name } },
              template: {
                metadata: { labels: { app: name } },
                spec: { containers: [{ name: 'c', image: 'example/c:1' }] },
              },
            },
          },
        }),
      (name: string) => apps.readNamespacedDeployment({ name, namespace: NS }),
    ],
    [
      'networkpolicies',
      async (name: string) =>
        networking.createNamespacedNetworkPolicy({
          namespace: NS,
          body: {
            metadata: { name },
            spec: {
              podSelector: { matchLabels: { app: 'istiod' } },
              ingress: [{ ports: [{ port: 15017 }] }],
            },
          },
        }),
      (name: string) => networking.readNamespacedNetworkPolicy({ name, namespace: NS }),
    ],
    [
      'secrets',
      async (name: string) =>
        core.createNamespacedSecret({
          namespace: NS,
          body: { metadata: { name }, stringData: { token: 'not-a-real-secret' } },
        }),
      (name: string) => core.readNamespacedSecret({ name, namespace: NS }),
    ],
    [
      'authorizationpolicies',
      async (name: string) =>
        custom.createNamespacedCustomObject({
          group: 'security.istio.io',
          version: 'v1',
          namespace: NS,
          plural: 'authorizationpolicies',
          body: {
            apiVersion: 'security.istio.io/v1',
            kind: 'AuthorizationPolicy',
            metadata: { name },
            spec: { action: 'DENY', rules: [{}] },
          },
        }),
      (name: string) =>
        custom.getNamespacedCustomObject({
          group: 'security.istio.io',
          version: 'v1',
          namespace: NS,
          plural: 'authorizationpolicies',
          name,
        }),
    ],
  ])('get, get -o yaml, patch --type merge and delete %s', async (resource, create, read) => {
    const name = `kubectl-${resource}`;
    await create(name);
    expect(await kubectl('get', resource, '-n', NS, name)).toContain(name);
    const yaml = parse(await kubectl('get', resource, '-n', NS, name, '-o', 'yaml')) as {
      metadata: { name: string; uid: string };
    };
    expect(yaml.metadata.name).toBe(name);

    await kubectl(
      'patch',
      resource,
      '-n',
      NS,
      name,
      '--type',
      'merge',
      '-p',
      '{"metadata":{"labels":{"rehearsed":"yes"}}}',
    );
    const patched = (await read(name)) as {
      metadata?: { labels?: Record<string, string>; uid?: string };
    };
    expect(patched.metadata?.labels?.rehearsed).toBe('yes');
    expect(patched.metadata?.uid).toBe(yaml.metadata.uid);

    await kubectl('delete', resource, '-n', NS, name, '--wait=false');
    expect(await gone(() => read(name))).toBe(true);
  });

  it('get pods -w sees a change', async () => {
    const watcher = spawn(
      'kubectl',
      ['--kubeconfig', kubeconfigPath, 'get', 'pods', '-n', 'orders', '-w'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    watcher.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await waitFor(() => output.includes('orders-api'), { description: 'the initial listing' });
      await core.createNamespacedPod({
        namespace: 'orders',
        body: {
          metadata: { name: 'watched-pod' },
          spec: { containers: [{ name: 'c', image: 'example/c:1' }] },
        },
      });
      // orders is an injected namespace: the sidecar injector adds istio-proxy.
      await waitFor(() => /watched-pod\s+2\/2\s+Running/.test(output), {
        description: 'kubectl -w to show the new pod running',
      });
    } finally {
      watcher.kill('SIGTERM');
    }
  });
});

describe('npm run lab', () => {
  it('prints the API URL, writes a kubeconfig kubectl uses, and stops on SIGTERM', async () => {
    const path = join(dir, 'standalone', 'kubeconfig');
    const lab = startEntryProcess('lab/main.ts', { LAB_PORT: '0', LAB_KUBECONFIG: path });
    try {
      const line = await lab.waitForLine(/Kubernetes API at https:\/\/127\.0\.0\.1:\d+$/);
      expect(await lab.waitForLine(/kubeconfig written to/)).toContain(path);
      const url = line.slice(line.indexOf('https://'));
      const { stdout } = await run('kubectl', ['--kubeconfig', path, 'get', 'namespaces'], {
        timeout: 20_000,
      });
      expect(stdout).toMatch(/istio-system\s+Active/);
      expect(parse(await readFile(path, 'utf8'))).toMatchObject({
        clusters: [{ cluster: { server: url } }],
      });
      lab.child.kill('SIGTERM');
      expect(await lab.exited).toEqual({ code: 0, signal: null });
    } finally {
      await lab.kill();
    }
  });
});
