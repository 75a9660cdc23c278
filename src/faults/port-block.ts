import type {
  KubernetesObject,
  V1ConfigMap,
  V1Deployment,
  V1LabelSelector,
  V1NetworkPolicy,
} from '@kubernetes/client-node';
import { portBlockParams, type PortBlockParams } from '../scenario/fault-params.js';
import { createOwned, deleteOwned, pendingReverts, readObject } from './cluster-writes.js';
import { fromKubeError } from './errors.js';
import type { Fault, FaultContext, Finding, Verification } from './fault.js';
import type { JournalEntry, ObjectRef } from './journal.js';
import {
  DEFAULT_REVISION,
  istiodPods,
  istiodSelector,
  istiodSelectorText,
  restartControlPlane,
} from './control-plane.js';
import { ownershipLabels, owningRun } from './ownership.js';

const STEP = 'networkpolicy';
/** Journal step of the istiod restart: recorded for the audit trail, nothing to undo. */
const RESTART_STEP = 'restart-control-plane';
/** istiod's containerPorts in the chart, used when the Deployment does not list any. */
const FALLBACK_PORTS = [8080, 15010, 15012, 15014, 15017];
/** The xDS port proxies dial when the mesh config does not say otherwise (Istio ≥ 1.5). */
const DEFAULT_PROXY_XDS_PORT = 15012;

interface KeptPort {
  port: number;
  protocol: string;
}

/**
 * `port-block`: a NetworkPolicy in the control-plane namespace that selects the istiod pods of
 * one revision and admits ingress only on the ports that are *not* blocked. Blocking 15012
 * cuts the proxies' xDS/CA stream, 15017 the injection and validation webhooks, 15010 the
 * plaintext xDS port that modern sidecars no longer use. Kept ports are listed one by one
 * rather than as `endPort` ranges, which only some CNIs support.
 */
export const portBlock: Fault<PortBlockParams> = {
  type: 'port-block',
  paramsSchema: portBlockParams,
  meshWide: () => true,

  async preflight(ctx, params) {
    const findings: Finding[] = [];
    const rev = revisionOf(params);
    const { deployment, lookedFor } = await findDeployment(ctx, rev);
    if (!deployment) {
      findings.push({
        severity: 'blocker',
        message: `no istiod Deployment for revision "${rev}" in ${ctx.namespace} (looked for ${lookedFor.join(', ')})`,
      });
    }
    const pods = await istiodPods(ctx, rev);
    if (pods.length === 0) {
      findings.push({
        severity: 'blocker',
        message: `no pod in ${ctx.namespace} matches ${istiodSelectorText(rev)}: the policy would block nothing`,
      });
    }

    const name = policyName(ctx);
    const policies = await listPolicies(ctx);
    const clash = policies.find((p) => p.metadata?.name === name);
    if (clash && owningRun(clash.metadata) !== ctx.runId) {
      findings.push({
        severity: 'blocker',
        message: `NetworkPolicy ${ctx.namespace}/${name} already exists and is not this run's`,
      });
    }
    const podLabels = pods.map((pod) => pod.metadata?.labels ?? {});
    const others = policies.filter(
      (p) =>
        owningRun(p.metadata) !== ctx.runId &&
        appliesToIngress(p) &&
        podLabels.some((labels) => selectorMatches(p.spec?.podSelector, labels)),
    );
    if (others.length > 0) {
      findings.push({
        severity: 'warning',
        message: `other NetworkPolicies select the istiod pods (${others
          .map((p) => p.metadata?.name ?? '')
          .join(
            ', ',
          )}): allows are unioned: an existing allow for the blocked port defeats the block`,
      });
    }

    const proxyPort = await proxyXdsPort(ctx, rev);
    const blocked = new Set<number>(params.ports);
    if (blocked.has(15010) && !blocked.has(proxyPort.port)) {
      findings.push({
        severity: 'warning',
        message: `the proxies use ${proxyPort.port} for xDS (${proxyPort.source}); modern sidecars (Istio ≥ 1.5) get xDS over 15012 with mTLS, so blocking 15010 (plaintext xDS) affects only proxies configured for it: expect no impact and no detection — a finding, not a failure`,
      });
    }
    if (blocked.has(15012)) {
      findings.push({
        severity: 'info',
        message:
          'blocking 15012 cuts the proxies off xDS and the CA once their streams reconnect: existing traffic keeps flowing on the last config, but config stops propagating and workload certificates cannot be renewed',
      });
    }
    if (blocked.has(15017)) {
      findings.push({
        severity: 'info',
        message:
          'blocking 15017 breaks the sidecar-injector and validation webhooks: new pods in injected namespaces fail to be created and rollouts stall; traffic of existing pods is not affected',
      });
    }
    if (!params.restartControlPlane) {
      findings.push({
        severity: 'warning',
        message:
          'restartControlPlane is false: many CNIs apply NetworkPolicies only to new connections, so established xDS streams may survive and the block may not take effect until they reconnect',
      });
    }
    findings.push({
      severity: 'info',
      message:
        'NetworkPolicy enforcement depends on the CNI; the tool cannot see whether this cluster enforces NetworkPolicies (e.g. kindnet and flannel do not)',
    });
    return findings;
  },

  async inject(ctx, params) {
    const rev = revisionOf(params);
    const { deployment } = await findDeployment(ctx, rev);
    const kept = keptPorts(deployment, params.ports);
    const policy: V1NetworkPolicy & KubernetesObject = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: {
        name: policyName(ctx),
        namespace: ctx.namespace,
        labels: ownershipLabels(ctx.runId),
        annotations: {
          'gameday/fault': 'port-block',
          'gameday/blocked-ports': params.ports.join(','),
        },
      },
      spec: {
        podSelector: { matchLabels: istiodSelector(rev) },
        policyTypes: ['Ingress'],
        // One rule, no `from` (any source), only the kept ports. With no port kept at all,
        // an empty rule list denies all ingress (a rule with an empty port list would allow all).
        ingress: kept.length > 0 ? [{ ports: kept }] : [],
      },
    };
    await createOwned(ctx, STEP, policy);
    if (params.restartControlPlane) {
      await restartControlPlane(ctx, RESTART_STEP, rev, deployment?.metadata?.name ?? 'istiod');
    }
  },

  async revert(ctx) {
    // Only the policy needs undoing. No restart: proxies reconnect to istiod on their own
    // (with back-off) once the port is open again, and the webhooks are called afresh.
    for (const entry of await pendingReverts(ctx)) {
      if (entry.step === RESTART_STEP) {
        // The deleted pods were replaced by their ReplicaSet: there is nothing to restore.
        if (!ctx.dryRun) await record(ctx, { ...entry, state: 'reverted' });
        continue;
      }
      await deleteOwned(ctx, entry);
    }
  },

  async verify(ctx, params): Promise<Verification> {
    const ref = policyRef(ctx);
    const policy = await readObject<V1NetworkPolicy & KubernetesObject>(ctx, ref);
    if (policy && owningRun(policy.metadata) === ctx.runId) {
      return {
        state: 'in-effect',
        details: [
          `NetworkPolicy ${ctx.namespace}/${ref.name} blocks ${params.ports.join(', ')} on the istiod pods (${istiodSelectorText(revisionOf(params))})`,
        ],
      };
    }
    return { state: 'reverted', details: [`no NetworkPolicy of this run in ${ctx.namespace}`] };
  },
};

async function record(ctx: FaultContext, entry: Omit<JournalEntry, 'at'>): Promise<void> {
  await ctx.journal.record({ ...entry, at: ctx.now().toISOString() });
}

function revisionOf(params: PortBlockParams): string {
  return params.revision ?? DEFAULT_REVISION;
}

function policyName(ctx: FaultContext): string {
  return `gameday-port-block-${ctx.runId
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 40)}`.replace(/-+$/, '');
}

function policyRef(ctx: FaultContext): ObjectRef {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    namespace: ctx.namespace,
    name: policyName(ctx),
  };
}

/**
 * The istiod Deployment of a revision: `istiod-<rev>` for a named revision, `istiod` for the
 * default one (or a revisioned install whose Deployment kept the plain name). A Deployment
 * only counts when its pod template carries the revision, so `istiod` of the default
 * revision is never mistaken for another revision's.
 */
async function findDeployment(
  ctx: FaultContext,
  rev: string,
): Promise<{ deployment?: V1Deployment; lookedFor: string[] }> {
  const names = rev === DEFAULT_REVISION ? ['istiod'] : [`istiod-${rev}`, 'istiod'];
  for (const name of names) {
    const deployment = await readObject<V1Deployment & KubernetesObject>(ctx, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: ctx.namespace,
      name,
    });
    const podRev = deployment?.spec?.template.metadata?.labels?.['istio.io/rev'];
    if (deployment && (podRev ?? DEFAULT_REVISION) === rev) return { deployment, lookedFor: names };
  }
  return { lookedFor: names.map((n) => `${n} with pod label istio.io/rev=${rev}`) };
}

async function listPolicies(ctx: FaultContext): Promise<V1NetworkPolicy[]> {
  try {
    return (await ctx.kube.networking.listNamespacedNetworkPolicy({ namespace: ctx.namespace }))
      .items;
  } catch (err) {
    throw fromKubeError(err, {
      verb: 'list',
      resource: 'networkpolicies.networking.k8s.io',
      namespace: ctx.namespace,
    });
  }
}

/** Every containerPort of the Deployment (or the chart's, when it lists none) minus the blocked TCP ports. */
export function keptPorts(
  deployment: V1Deployment | undefined,
  blocked: readonly number[],
): KeptPort[] {
  const declared = (deployment?.spec?.template.spec?.containers ?? []).flatMap((c) =>
    (c.ports ?? []).map((p) => ({ port: p.containerPort, protocol: p.protocol ?? 'TCP' })),
  );
  const all =
    declared.length > 0 ? declared : FALLBACK_PORTS.map((port) => ({ port, protocol: 'TCP' }));
  const seen = new Set<string>();
  return all
    .filter((p) => !(p.protocol === 'TCP' && blocked.includes(p.port)))
    .filter((p) => {
      const key = `${p.protocol}/${p.port}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
}

/** A policy without policyTypes restricts ingress (and egress only when it has egress rules). */
function appliesToIngress(policy: V1NetworkPolicy): boolean {
  const types = policy.spec?.policyTypes;
  return types === undefined || types.length === 0 || types.includes('Ingress');
}

/** metav1.LabelSelector semantics: the empty selector selects everything. */
export function selectorMatches(
  selector: V1LabelSelector | undefined,
  labels: Record<string, string>,
): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  return (selector.matchExpressions ?? []).every((expr) => {
    const has = Object.prototype.hasOwnProperty.call(labels, expr.key);
    const value = labels[expr.key];
    const values = expr.values ?? [];
    switch (expr.operator) {
      case 'In':
        return has && values.includes(value ?? '');
      case 'NotIn':
        return !has || !values.includes(value ?? '');
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        return false;
    }
  });
}

/**
 * The xDS port the proxies dial, from `discoveryAddress` in the revision's mesh config
 * (ConfigMap `istio` or `istio-<rev>`); 15012 when it cannot be read or does not say.
 */
async function proxyXdsPort(
  ctx: FaultContext,
  rev: string,
): Promise<{ port: number; source: string }> {
  const name = rev === DEFAULT_REVISION ? 'istio' : `istio-${rev}`;
  let config: V1ConfigMap | undefined;
  try {
    config = await readObject<V1ConfigMap & KubernetesObject>(ctx, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ctx.namespace,
      name,
    });
  } catch {
    config = undefined;
  }
  const match = /discoveryAddress:\s*["']?[^\s"':]+:(\d+)/.exec(config?.data?.mesh ?? '');
  if (match?.[1]) {
    return {
      port: Number(match[1]),
      source: `discoveryAddress in ConfigMap ${ctx.namespace}/${name}`,
    };
  }
  return { port: DEFAULT_PROXY_XDS_PORT, source: 'the default discoveryAddress' };
}
