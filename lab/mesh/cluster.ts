import type { Registry } from '../apiserver/registry.js';
import { labelSelectorFromSet, matches } from '../apiserver/selectors.js';
import type { KubeObject } from '../apiserver/types.js';
import { dict, list, NAMESPACES, PODS, REPLICASETS } from '../controllers/objects.js';
import type { WorkloadIdentity } from './types.js';

/** Helpers that read the mesh out of API objects, the way istiod's controllers do. */

export const TRUST_DOMAIN = 'cluster.local';
export const SIDECAR = 'istio-proxy';

export function labelsOf(object: KubeObject | undefined): Record<string, string> {
  return object?.metadata.labels ?? {};
}

function containerStatus(pod: KubeObject, container: string) {
  return list(dict(pod.status).containerStatuses).find((c) => c.name === container);
}

/** The container's process is up (state `running`). */
export function containerRunning(pod: KubeObject, container: string): boolean {
  return dict(containerStatus(pod, container)?.state).running !== undefined;
}

export function containerReady(pod: KubeObject, container: string): boolean {
  return containerStatus(pod, container)?.ready === true;
}

/** Identifies one run of a container's process: it changes on every restart. */
export function incarnation(pod: KubeObject, container: string): string {
  const status = containerStatus(pod, container);
  return `${pod.metadata.uid ?? ''}/${String(status?.restartCount ?? 0)}`;
}

export function podReady(pod: KubeObject): boolean {
  return list(dict(pod.status).conditions).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function hasContainer(pod: KubeObject, name: string): boolean {
  return list(dict(pod.spec).containers).some((c) => c.name === name);
}

function serviceAccountOf(pod: KubeObject): string {
  const name = dict(pod.spec).serviceAccountName;
  return typeof name === 'string' && name !== '' ? name : 'default';
}

function principalOf(pod: KubeObject): string {
  return `spiffe://${TRUST_DOMAIN}/ns/${pod.metadata.namespace ?? ''}/sa/${serviceAccountOf(pod)}`;
}

/** The Deployment behind a pod (via its ReplicaSet), as Istio names the workload. */
export function workloadOf(registry: Registry, pod: KubeObject): string {
  const controller = (object: KubeObject | undefined) =>
    object?.metadata.ownerReferences?.find((ref) => ref.controller === true);
  const owner = controller(pod);
  if (owner?.kind === 'ReplicaSet') {
    const rsName = String(owner.name);
    const deployment = controller(registry.store.get(REPLICASETS, pod.metadata.namespace, rsName));
    if (deployment?.kind === 'Deployment') return String(deployment.name);
    return rsName.replace(/-[a-z0-9]+$/, '');
  }
  return owner ? String(owner.name) : (pod.metadata.name ?? 'unknown');
}

export function identityOf(registry: Registry, pod: KubeObject): WorkloadIdentity {
  const labels = labelsOf(pod);
  const workload = workloadOf(registry, pod);
  const app = labels.app ?? workload;
  const version = labels.version ?? 'unknown';
  return {
    workload,
    namespace: pod.metadata.namespace ?? '',
    principal: principalOf(pod),
    app,
    version,
    canonicalService: labels['service.istio.io/canonical-name'] ?? app,
    canonicalRevision: labels['service.istio.io/canonical-revision'] ?? version,
  };
}

export function namespaceLabels(registry: Registry, namespace: string): Record<string, string> {
  return {
    'kubernetes.io/metadata.name': namespace,
    ...labelsOf(registry.store.get(NAMESPACES, undefined, namespace)),
  };
}

export function serviceHost(service: KubeObject): string {
  return `${service.metadata.name ?? ''}.${service.metadata.namespace ?? ''}.svc.${TRUST_DOMAIN}`;
}

/** Pods a Service selects (its `spec.selector`, none without one). */
export function podsOf(registry: Registry, service: KubeObject): KubeObject[] {
  const selector = dict(service.spec).selector as Record<string, string> | undefined;
  if (!selector || Object.keys(selector).length === 0) return [];
  const parsed = labelSelectorFromSet(selector);
  return registry.store
    .peek(PODS, service.metadata.namespace)
    .filter((pod) => matches(parsed, labelsOf(pod)));
}
