import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import {
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { AlertmanagerConfig } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1';
import { Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import {
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
} from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import type { PolicyRule } from '../../lab/apiserver/auth.js';
import type { AuditEvent } from '../../lab/index.js';
import { findOnPath } from '../../lab/services/backend.js';
import { makeTempDir, removeTempDir } from '../../lab/services/cleanup.js';
import { FAULTS } from '../../src/faults/catalogue.js';
import { guardFault } from '../../src/faults/guarded.js';
import { kubeClients, type KubeClients } from '../../src/kube/clients.js';
import { loadScenarioDirectory, type Scenario } from '../../src/scenario/index.js';
import { startFaultTestBed, type FaultTestBed } from '../support/fault-testbed.js';
import { runHelm } from '../support/helm.js';
import { waitFor } from '../support/index.js';

const CHART = 'deploy/helm/gameday';
const RULES = 'deploy/rules/gameday-mesh.rules.yml';
const RELEASE = 'gd';
const RELEASE_NAMESPACE = 'gameday';
const WORKER_USER = 'gameday-worker-chart';
const WORKER_TOKEN = 'gameday-worker-chart-token-0123456789';

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/** The model that validates each kind the chart may render; any other kind fails the test. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
  'monitoring.coreos.com/v1alpha1/AlertmanagerConfig': AlertmanagerConfig,
};

let tmp: string;
let valuesFiles = 0;

async function valuesFile(name: string, values: unknown): Promise<string> {
  const path = join(tmp, `${name}.values.yaml`);
  await writeFile(path, JSON.stringify(values));
  return path;
}

/** `helm template` of the chart; throws with helm's message when it refuses. */
async function render(values?: unknown): Promise<Manifest[]> {
  const args = ['template', RELEASE, CHART, '--namespace', RELEASE_NAMESPACE];
  if (values !== undefined)
    args.push('--values', await valuesFile(`values-${++valuesFiles}`, values));
  const result = await runHelm(args);
  if (result.code !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return parseAllDocuments(result.stdout)
    .map((doc) => {
      expect(doc.errors, doc.errors.join('\n')).toEqual([]);
      return doc.toJS() as Manifest | null;
    })
    .filter((doc): doc is Manifest => doc !== null);
}

async function refusal(values: unknown): Promise<string> {
  const result = await runHelm([
    'template',
    RELEASE,
    CHART,
    '--values',
    await valuesFile(`bad-${++valuesFiles}`, values),
  ]);
  expect(result.code, `helm accepted ${JSON.stringify(values)}`).not.toBe(0);
  return result.stderr;
}

function validateAll(manifests: Manifest[]): void {
  expect(manifests.length).toBeGreaterThan(0);
  for (const manifest of manifests) {
    const where = `${manifest.kind}/${manifest.metadata?.name}`;
    expect(manifest.apiVersion, where).toEqual(expect.any(String));
    expect(manifest.kind, where).toEqual(expect.any(String));
    expect(manifest.metadata?.name, where).toEqual(expect.any(String));
    const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
    if (!Model) throw new Error(`no model to validate ${manifest.apiVersion} ${manifest.kind}`);
    try {
      new Model(manifest as never).validate();
    } catch (err) {
      throw new Error(`${where} is invalid: ${(err as Error).message}`, { cause: err });
    }
  }
}

const ofKind = (manifests: Manifest[], kind: string) => manifests.filter((m) => m.kind === kind);

interface Container {
  name: string;
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
}
interface PodSpec {
  containers: Container[];
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
}

function deployment(
  manifests: Manifest[],
  component: string,
): { spec: { template: { spec: PodSpec } } } {
  const found = ofKind(manifests, 'Deployment').find((d) => d.metadata.name.endsWith(component));
  if (!found) throw new Error(`no ${component} Deployment`);
  return found as unknown as { spec: { template: { spec: PodSpec } } };
}

function env(manifests: Manifest[], component: string, name: string): string | undefined {
  const container = deployment(manifests, component).spec.template.spec.containers[0];
  return container?.env?.find((e) => e.name === name)?.value;
}

function promtool(binary: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(binary, args, { timeout: 30_000 }, (error, stdout, stderr) => {
      done({
        code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
        output: stdout + stderr,
      });
    });
  });
}

beforeAll(async () => {
  tmp = await makeTempDir('helm-chart');
});

afterAll(async () => {
  if (tmp) await removeTempDir(tmp);
});

describe('the Helm chart renders valid manifests', () => {
  it('passes helm lint --strict', async () => {
    const result = await runHelm(['lint', '--strict', CHART]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it('renders the default values into valid objects: API, workers, Redis, RBAC, policies', async () => {
    const manifests = await render();
    validateAll(manifests);
    expect(ofKind(manifests, 'StatefulSet')).toHaveLength(1);
    expect(ofKind(manifests, 'ServiceMonitor')).toHaveLength(0);
    expect(ofKind(manifests, 'PrometheusRule')).toHaveLength(0);
    expect(ofKind(manifests, 'ClusterRole')).toHaveLength(0);
    expect(ofKind(manifests, 'ClusterRoleBinding')).toHaveLength(0);
    expect(ofKind(manifests, 'Role').map((r) => r.metadata.namespace)).toEqual([
      'istio-system',
      'payments',
      'orders',
      'frontend',
    ]);
    expect(env(manifests, 'worker', 'GAMEDAY_NAMESPACE_ALLOWLIST')).toBe(
      'istio-system,payments,orders,frontend',
    );
    // The API never talks to Kubernetes; only the worker gets a token.
    expect(deployment(manifests, 'api').spec.template.spec.automountServiceAccountToken).toBe(
      false,
    );
    expect(deployment(manifests, 'worker').spec.template.spec.automountServiceAccountToken).toBe(
      true,
    );
    // Active runs get their whole shutdown timeout to revert before the kill.
    const worker = deployment(manifests, 'worker').spec.template.spec;
    const shutdown = Number.parseInt(
      env(manifests, 'worker', 'GAMEDAY_SHUTDOWN_TIMEOUT') ?? '',
      10,
    );
    expect(shutdown).toBeGreaterThanOrEqual(120);
    expect(worker.terminationGracePeriodSeconds).toBeGreaterThan(shutdown);
    // Secrets reach the API only.
    const workerEnv = (worker.containers[0]?.env ?? []).map((e) => e.name);
    expect(workerEnv).not.toContain('GAMEDAY_WEBHOOK_SECRET');
    expect(workerEnv).not.toContain('GAMEDAY_API_TOKENS_ADMIN');
  });

  it('renders an external Redis, an existing Secret, another allowlist and the monitoring objects', async () => {
    const manifests = await render({
      redis: { enabled: false, url: 'redis://redis.shared.svc:6379' },
      secrets: { existingSecret: 'gameday-credentials' },
      namespaces: { allowlist: ['istio-system', 'shop'], istioRevisions: ['1-24'] },
      serviceMonitor: { enabled: true, labels: { release: 'prom' } },
      prometheusRule: { enabled: true },
      alertmanagerConfig: { enabled: true },
      config: {
        prometheus: { url: 'http://prometheus.monitoring.svc:9090' },
        alertmanager: { url: 'http://alertmanager.monitoring.svc:9093' },
      },
    });
    validateAll(manifests);
    expect(ofKind(manifests, 'StatefulSet')).toHaveLength(0);
    expect(ofKind(manifests, 'Secret')).toHaveLength(0);
    expect(ofKind(manifests, 'ServiceMonitor')).toHaveLength(1);
    expect(ofKind(manifests, 'AlertmanagerConfig')).toHaveLength(1);
    expect(env(manifests, 'worker', 'REDIS_URL')).toBe('redis://redis.shared.svc:6379');
    expect(env(manifests, 'api', 'REDIS_URL')).toBe('redis://redis.shared.svc:6379');
    expect(env(manifests, 'worker', 'GAMEDAY_NAMESPACE_ALLOWLIST')).toBe('istio-system,shop');
    expect(env(manifests, 'worker', 'PROMETHEUS_URL')).toBe(
      'http://prometheus.monitoring.svc:9090',
    );
    expect(ofKind(manifests, 'RoleBinding').map((r) => r.metadata.namespace)).toEqual([
      'istio-system',
      'shop',
    ]);
    const controlPlane = ofKind(manifests, 'Role').find(
      (r) => r.metadata.namespace === 'istio-system',
    ) as unknown as { rules: PolicyRule[] };
    expect(
      controlPlane.rules.find((r) => r.resources.includes('deployments'))?.resourceNames,
    ).toEqual(['istiod', 'istiod-1-24']);
    const secretRefs = JSON.stringify(deployment(manifests, 'api'));
    expect(secretRefs).toContain('"name":"gameday-credentials"');
    const amc = ofKind(manifests, 'AlertmanagerConfig')[0] as unknown as {
      spec: { receivers: Array<{ webhookConfigs: Array<{ url: string; httpConfig: unknown }> }> };
    };
    expect(amc.spec.receivers[0]?.webhookConfigs[0]).toMatchObject({
      url: `http://${RELEASE}-gameday-api.${RELEASE_NAMESPACE}.svc:8080/api/v1/alertmanager/webhook`,
      httpConfig: {
        authorization: {
          type: 'Bearer',
          credentials: { name: 'gameday-credentials', key: 'GAMEDAY_WEBHOOK_SECRET' },
        },
      },
    });
  });

  it('ships the same alert rules as deploy/rules, and promtool accepts them', async () => {
    const manifests = await render({ prometheusRule: { enabled: true } });
    const rule = ofKind(manifests, 'PrometheusRule')[0] as unknown as { spec: { groups: unknown } };
    expect(rule.spec.groups).toEqual(
      (parse(readFileSync(RULES, 'utf8')) as { groups: unknown }).groups,
    );
    const file = join(tmp, 'chart.rules.yml');
    await writeFile(file, JSON.stringify({ groups: rule.spec.groups }));
    const binary = await findOnPath(['promtool']);
    if (!binary) throw new Error('promtool not found: run `node scripts/prepare.mjs test`');
    const checked = await promtool(binary, ['check', 'rules', file]);
    expect(checked.code, checked.output).toBe(0);
  });

  it('refuses bad values at render time', async () => {
    expect(await refusal({ namespaces: { allowlist: ['Payments'] } })).toContain(
      '/namespaces/allowlist/0',
    );
    expect(await refusal({ namespaces: { allowlist: ['payments', 'payments'] } })).toContain(
      '/namespaces/allowlist',
    );
    expect(await refusal({ worker: { replicas: -1 } })).toContain('/worker/replicas');
    expect(await refusal({ worker: { concurrency: 0 } })).toContain('/worker/concurrency');
    expect(await refusal({ worker: { leaseDuration: 'soon' } })).toContain('/worker/leaseDuration');
    expect(await refusal({ secrets: { webhookSecret: 'short' } })).toContain(
      '/secrets/webhookSecret',
    );
    expect(await refusal({ redis: { enabled: false } })).toContain('/redis');
    expect(await refusal({ redis: { enabled: false, url: 'http://redis:6379' } })).toContain(
      '/redis/url',
    );
    expect(await refusal({ replicas: 3 })).toContain("additional properties 'replicas'");
    expect(await refusal({ namespaces: { gateways: ['elsewhere'] } })).toContain(
      'namespaces.gateways: elsewhere is not in namespaces.allowlist',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// RBAC: the worker's rendered permissions, proven sufficient and minimal against the lab.
// ---------------------------------------------------------------------------------------------

interface RbacRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
}

interface Binding {
  kind: string;
  metadata: { namespace?: string };
  roleRef: { kind: string; name: string };
  subjects?: Array<{ kind: string; name: string; namespace?: string }>;
}

/** The worker ServiceAccount's rules as lab PolicyRules: a RoleBinding limits them to its namespace. */
function workerRules(manifests: Manifest[]): PolicyRule[] {
  const worker = deployment(manifests, 'worker').spec.template.spec.serviceAccountName;
  const rolesOf = (kind: string, namespace: string | undefined, name: string): RbacRule[] => {
    const role = manifests.find(
      (m) =>
        m.kind === kind &&
        m.metadata.name === name &&
        (kind === 'ClusterRole' || m.metadata.namespace === namespace),
    ) as unknown as { rules?: RbacRule[] } | undefined;
    if (!role) throw new Error(`binding to missing ${kind} ${namespace ?? ''}/${name}`);
    return role.rules ?? [];
  };
  const rules: PolicyRule[] = [];
  for (const m of manifests) {
    if (m.kind !== 'RoleBinding' && m.kind !== 'ClusterRoleBinding') continue;
    const binding = m as unknown as Binding;
    const bindsWorker = (binding.subjects ?? []).some(
      (s) => s.kind === 'ServiceAccount' && s.name === worker && s.namespace === RELEASE_NAMESPACE,
    );
    if (!bindsWorker) continue;
    const namespace = binding.kind === 'RoleBinding' ? binding.metadata.namespace : undefined;
    for (const rule of rolesOf(binding.roleRef.kind, namespace, binding.roleRef.name)) {
      rules.push({
        verbs: rule.verbs,
        apiGroups: rule.apiGroups ?? [],
        resources: rule.resources ?? [],
        ...(rule.resourceNames && { resourceNames: rule.resourceNames }),
        ...(namespace !== undefined && { namespaces: [namespace] }),
      });
    }
  }
  return rules;
}

/** Whether a recorded request used this (verb, group, resource) of the rule, in its scope. */
function exercised(
  rule: PolicyRule,
  verb: string,
  group: string,
  resource: string,
  events: AuditEvent[],
) {
  return events.some(
    (e) =>
      e.code !== 403 &&
      e.verb === verb &&
      e.group === group &&
      (e.subresource ? `${e.resource}/${e.subresource}` : e.resource) === resource &&
      (rule.namespaces === undefined ||
        (e.namespace !== undefined && rule.namespaces.includes(e.namespace))) &&
      (rule.resourceNames === undefined ||
        (e.name !== undefined && rule.resourceNames.includes(e.name))),
  );
}

/** A cluster state a fault must also work in, set up (and torn down) with admin rights. */
interface Situation {
  name: string;
  appliesTo(scenario: Scenario): boolean;
  setUp(admin: KubeClients): Promise<void>;
  tearDown(admin: KubeClients): Promise<void>;
}

const SITUATIONS: Situation[] = [
  {
    name: 'as seeded',
    appliesTo: () => true,
    setUp: async () => undefined,
    tearDown: async () => undefined,
  },
  {
    // mesh-ca overwrites (and restores) a plug-in CA in place, but creates cacerts when istiod
    // runs on its self-signed root: both are real clusters, with different verbs.
    name: 'with a plug-in CA in cacerts',
    appliesTo: (s) =>
      s.spec.fault.type === 'cert-expiry' &&
      (s.spec.fault.params as { mode?: string }).mode === 'mesh-ca',
    setUp: async (admin) => {
      const pem = (text: string) => Buffer.from(text).toString('base64');
      await admin.core.createNamespacedSecret({
        namespace: 'istio-system',
        body: {
          metadata: { name: 'cacerts' },
          type: 'Opaque',
          data: {
            'ca-cert.pem': pem('plug-in ca'),
            'ca-key.pem': pem('plug-in key'),
            'root-cert.pem': pem('plug-in root'),
            'cert-chain.pem': pem('plug-in chain'),
          },
        },
      });
    },
    tearDown: async (admin) => {
      await admin.core.deleteNamespacedSecret({ name: 'cacerts', namespace: 'istio-system' });
    },
  },
];

describe('the worker RBAC of the chart, against the lab', () => {
  let bed: FaultTestBed;
  let manifests: Manifest[];
  let rules: PolicyRule[];
  const events: AuditEvent[] = [];

  beforeAll(async () => {
    manifests = await render();
    rules = workerRules(manifests);
    bed = await startFaultTestBed({
      users: [{ name: WORKER_USER, token: WORKER_TOKEN, rules }],
    });
    bed.lab.onRequest((event) => {
      if (event.user === WORKER_USER) events.push(event);
    });
  });

  afterAll(async () => {
    await bed?.lab.stop();
  });

  it('lets every fault of the catalogue run, revert and verify, and grants nothing unused', async () => {
    expect(rules.length).toBeGreaterThan(0);
    const config = new KubeConfig();
    config.loadFromString(bed.lab.kubeconfig(WORKER_USER));
    const worker = kubeClients(config);
    const allowlist = (env(manifests, 'worker', 'GAMEDAY_NAMESPACE_ALLOWLIST') ?? '').split(',');
    const controlPlane = 'istio-system';
    const workloadNamespaces = allowlist.filter((ns) => ns !== controlPlane);

    const loaded = await loadScenarioDirectory('scenarios');
    expect(loaded.errors.map(String)).toEqual([]);
    const scenarios = loaded.documents.filter((d): d is Scenario => d.kind === 'Scenario');
    const kinds = Object.keys(FAULTS);
    expect(kinds.length).toBeGreaterThan(0);
    for (const kind of kinds) {
      expect(
        scenarios.filter((s) => s.spec.fault.type === kind).map((s) => s.metadata.name),
        `no catalogue scenario runs ${kind}`,
      ).not.toEqual([]);
    }

    const istiodReady = () =>
      waitFor(
        async () => {
          const d = await bed.admin.apps.readNamespacedDeployment({
            name: 'istiod',
            namespace: controlPlane,
          });
          const s = d.status;
          return (
            s?.availableReplicas === 1 &&
            s.updatedReplicas === 1 &&
            s.replicas === 1 &&
            s.readyReplicas === 1
          );
        },
        { description: 'istiod to be available', timeoutMs: 20_000 },
      );

    const outcomes: string[] = [];
    let run = 0;
    for (const scenario of scenarios.filter((s) => kinds.includes(s.spec.fault.type))) {
      const target = scenario.spec.target.namespace;
      // A scenario for one workload namespace runs in every allowlisted one: each has a Role.
      const namespaces = target === controlPlane ? [target] : workloadNamespaces;
      for (const situation of SITUATIONS.filter((s) => s.appliesTo(scenario))) {
        for (const namespace of namespaces) {
          const label = `${scenario.metadata.name} in ${namespace} (${situation.name})`;
          await istiodReady();
          await situation.setUp(bed.admin);
          try {
            const fault = guardFault(scenario.spec.fault, { allowlist, allowMeshWide: true });
            const ctx = bed.context(`chart-rbac-${++run}`, namespace, { kube: worker });
            const findings = await fault.preflight(ctx);
            expect(
              findings.filter((f) => f.severity === 'blocker'),
              label,
            ).toEqual([]);
            await fault.inject(ctx);
            // As the run engine does: verify once after inject (a killed istiod may already be
            // replaced), and after revert poll verify until it reports reverted.
            expect((await fault.verify(ctx)).state, `${label} after inject`).not.toBe('partial');
            await fault.revert(ctx);
            await waitFor(async () => (await fault.verify(ctx)).state === 'reverted', {
              description: `${label} to verify as reverted`,
              timeoutMs: 20_000,
              intervalMs: 250,
            });
            outcomes.push(label);
          } finally {
            await situation.tearDown(bed.admin);
          }
        }
      }
    }
    expect(outcomes.length).toBeGreaterThanOrEqual(kinds.length);

    const forbidden = events
      .filter((e) => e.code === 403)
      .map((e) => `${e.verb} ${e.group}/${e.resource} ${e.namespace ?? ''}/${e.name ?? ''}`);
    expect(forbidden, 'requests the chart does not allow').toEqual([]);

    const unused: string[] = [];
    for (const rule of rules) {
      for (const verb of rule.verbs)
        for (const group of rule.apiGroups)
          for (const resource of rule.resources)
            if (!exercised(rule, verb, group, resource, events))
              unused.push(
                `${verb} ${group || 'core'}/${resource} in ${rule.namespaces?.join(',') ?? 'cluster'}`,
              );
    }
    expect(unused, 'granted but never used by any fault').toEqual([]);

    // kube-apiserver authorizes GET namespaces/<name> in namespace <name>; the lab must too,
    // or the workload Roles' namespace rule would look unusable.
    expect(events).toContainEqual(
      expect.objectContaining({
        verb: 'get',
        resource: 'namespaces',
        namespace: 'payments',
        code: 200,
      }),
    );
  }, 120_000);
});
