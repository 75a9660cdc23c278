import type { KubernetesObject } from '@kubernetes/client-node';
import { denyPolicyParams, type DenyPolicyParams } from '../scenario/fault-params.js';
import { createOwned, deleteOwned, pendingReverts, readObject } from './cluster-writes.js';
import { fromKubeError, httpStatus } from './errors.js';
import type { Fault, FaultContext, Finding, Verification } from './fault.js';
import type { ObjectRef } from './journal.js';
import { ownershipLabels, owningRun } from './ownership.js';

const GROUP = 'security.istio.io';
const STEP = 'authorizationpolicy';

interface Policy extends KubernetesObject {
  spec?: {
    action?: string;
    selector?: { matchLabels?: Record<string, string> };
    rules?: unknown[];
  };
}

/**
 * `deny-policy`: an AuthorizationPolicy with action DENY and a deliberately wrong rule, the
 * classic "the deny-all-but-X policy had a typo in X" outage. Symptom: HTTP 403
 * `RBAC: access denied` for the selected workloads. `rehearse` adds `istio.io/dry-run`, so
 * Istio only logs what it would deny (the audit-before-deny workflow).
 */
export const denyPolicy: Fault<DenyPolicyParams> = {
  type: 'deny-policy',
  paramsSchema: denyPolicyParams,
  meshWide: () => false,

  async preflight(ctx, params) {
    const findings: Finding[] = [];
    const version = await servedVersion(ctx);
    if (version === undefined) {
      return [
        {
          severity: 'blocker',
          message: `${GROUP} is not served by this cluster: is Istio installed?`,
        },
      ];
    }
    if (version !== 'v1') {
      findings.push({
        severity: 'info',
        message: `${GROUP}/v1 is not served by this cluster; the policy will be created as ${GROUP}/${version}`,
      });
    }
    try {
      await ctx.kube.core.readNamespace({ name: ctx.namespace });
    } catch (err) {
      if (httpStatus(err) === 404)
        return [{ severity: 'blocker', message: `namespace ${ctx.namespace} does not exist` }];
      throw fromKubeError(err, { verb: 'get', resource: 'namespaces', name: ctx.namespace });
    }
    const existing = await readObject<Policy>(ctx, policyRef(ctx, params, version));
    if (existing && owningRun(existing.metadata) !== ctx.runId) {
      findings.push({
        severity: 'blocker',
        message: `AuthorizationPolicy ${ctx.namespace}/${policyName(ctx, params)} already exists and is not this run's; choose another params.name`,
      });
    }
    if (params.selector) {
      const selector = Object.entries(params.selector.matchLabels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      const pods = await ctx.kube.core.listNamespacedPod({
        namespace: ctx.namespace,
        labelSelector: selector,
      });
      if (pods.items.length === 0) {
        findings.push({
          severity: 'warning',
          message: `no pod in ${ctx.namespace} matches ${selector}: the policy will deny nothing`,
        });
      }
    }
    const others = await ctx.kube.custom.listNamespacedCustomObject({
      group: GROUP,
      version,
      namespace: ctx.namespace,
      plural: 'authorizationpolicies',
    });
    const allows = ((others as { items?: Policy[] }).items ?? []).filter(
      (p) => (p.spec?.action ?? 'ALLOW') === 'ALLOW',
    );
    if (allows.length > 0) {
      findings.push({
        severity: 'info',
        message: `ALLOW policies already apply in ${ctx.namespace} (${allows.map((p) => p.metadata?.name).join(', ')}); Istio evaluates DENY before ALLOW, so the injected policy still wins`,
      });
    }
    if (params.rehearse) {
      findings.push({
        severity: 'info',
        message:
          'rehearse: the policy carries istio.io/dry-run, so Istio only logs the denials; expect no traffic impact',
      });
    }
    return findings;
  },

  async inject(ctx, params) {
    const version = (await servedVersion(ctx)) ?? 'v1';
    const policy: Policy = {
      apiVersion: `${GROUP}/${version}`,
      kind: 'AuthorizationPolicy',
      metadata: {
        name: policyName(ctx, params),
        namespace: ctx.namespace,
        labels: ownershipLabels(ctx.runId),
        annotations: {
          'gameday/fault': 'deny-policy',
          ...(params.rehearse && { 'istio.io/dry-run': 'true' }),
        },
      },
      spec: {
        action: 'DENY',
        ...(params.selector && { selector: { matchLabels: params.selector.matchLabels } }),
        rules: wrongRules(ctx, params),
      },
    };
    await createOwned(ctx, STEP, policy);
  },

  async revert(ctx) {
    for (const entry of await pendingReverts(ctx)) await deleteOwned(ctx, entry);
  },

  async verify(ctx, params): Promise<Verification> {
    const ref = policyRef(ctx, params, (await servedVersion(ctx)) ?? 'v1');
    const policy = await readObject<Policy>(ctx, ref);
    if (policy && owningRun(policy.metadata) === ctx.runId) {
      return {
        state: 'in-effect',
        details: [`AuthorizationPolicy ${ref.namespace}/${ref.name} (DENY) exists`],
      };
    }
    return {
      state: 'reverted',
      details: [`no AuthorizationPolicy of this run in ${ctx.namespace}`],
    };
  },
};

/** The wrong rule: deny everything, or "deny all but X" where X is misspelt (so, everything). */
function wrongRules(ctx: FaultContext, params: DenyPolicyParams): unknown[] {
  if (params.rule === 'deny-all') return [{}];
  const principal = params.principal ?? `cluster.local/ns/${ctx.namespace}/sa/default`;
  return [{ from: [{ source: { notPrincipals: [misspell(principal)] } }] }];
}

/** Drops the last vowel of the service account name: `orders-api` → `orders-ap`. */
export function misspell(principal: string): string {
  const slash = principal.lastIndexOf('/');
  const account = principal.slice(slash + 1);
  const vowel = Math.max(...[...'aeiou'].map((v) => account.lastIndexOf(v)));
  const typo = vowel > 0 ? account.slice(0, vowel) + account.slice(vowel + 1) : `${account}x`;
  return principal.slice(0, slash + 1) + typo;
}

function policyName(ctx: FaultContext, params: DenyPolicyParams): string {
  return (
    params.name ??
    `gameday-deny-${ctx.runId
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .slice(0, 40)}`.replace(/-+$/, '')
  );
}

function policyRef(ctx: FaultContext, params: DenyPolicyParams, version: string): ObjectRef {
  return {
    apiVersion: `${GROUP}/${version}`,
    kind: 'AuthorizationPolicy',
    namespace: ctx.namespace,
    name: policyName(ctx, params),
  };
}

/** security.istio.io/v1 where served (Istio ≥ 1.22), v1beta1 on older control planes; undefined without Istio. */
async function servedVersion(ctx: FaultContext): Promise<'v1' | 'v1beta1' | undefined> {
  try {
    const groups = await ctx.kube.apis.getAPIVersions();
    const versions = groups.groups.find((g) => g.name === GROUP)?.versions.map((v) => v.version);
    if (!versions) return undefined;
    return versions.includes('v1') ? 'v1' : 'v1beta1';
  } catch (err) {
    throw fromKubeError(err, { verb: 'get', resource: 'API discovery (/apis)' });
  }
}
