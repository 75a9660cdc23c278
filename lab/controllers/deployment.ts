import type { Registry } from '../apiserver/registry.js';
import type { KubeObject } from '../apiserver/types.js';
import { kubeTime, type LabClock } from './clock.js';
import { recordEvent } from './events.js';
import {
  canonicalJson,
  controllerReference,
  dict,
  isControlledBy,
  list,
  PODS,
  REPLICASETS,
  DEPLOYMENTS,
  scaledValue,
  templateHash,
  type Dict,
} from './objects.js';

const COMPONENT = 'deployment-controller';
const HASH_LABEL = 'pod-template-hash';
const REVISION = 'deployment.kubernetes.io/revision';

/**
 * The apps/v1 Deployment controller: one ReplicaSet per pod template, rolled per the
 * strategy (RollingUpdate with maxSurge rounded up and maxUnavailable rounded down, or
 * Recreate), and the status and conditions kubectl and the faults read.
 */
export function reconcileDeployment(
  registry: Registry,
  clock: LabClock,
  deployment: KubeObject,
): void {
  const namespace = deployment.metadata.namespace ?? '';
  const spec = dict(deployment.spec);
  const desired = Number(spec.replicas ?? 1);
  const owned = () =>
    registry.store.peek(REPLICASETS, namespace).filter((rs) => isControlledBy(rs, deployment));

  let newRS = owned().find((rs) => sameTemplate(rs, deployment));
  const oldRSs = () => owned().filter((rs) => rs.metadata.uid !== newRS?.metadata.uid);
  if (!newRS) newRS = createReplicaSet(registry, clock, deployment, oldRSs());
  else newRS = promoteRevision(registry, deployment, newRS, oldRSs());

  const strategy = dict(spec.strategy);
  if (strategy.type === 'Recreate') {
    const running = oldRSs().filter((rs) => replicas(rs) > 0);
    for (const rs of running) scale(registry, clock, deployment, rs, 0);
    const oldPods = oldRSs().some((rs) =>
      registry.store.peek(PODS, namespace).some((pod) => isControlledBy(pod, rs)),
    );
    if (running.length === 0 && !oldPods) scale(registry, clock, deployment, newRS, desired);
  } else {
    const rolling = dict(strategy.rollingUpdate);
    const { surge, unavailable } = fenceposts(rolling, desired);
    // Scale up the new ReplicaSet as far as maxSurge allows.
    const total = owned().reduce((sum, rs) => sum + replicas(rs), 0);
    if (replicas(newRS) < desired) {
      const room = Math.max(0, desired + surge - total);
      if (room > 0)
        newRS = scale(
          registry,
          clock,
          deployment,
          newRS,
          Math.min(desired, replicas(newRS) + room),
        );
    } else if (replicas(newRS) > desired) {
      newRS = scale(registry, clock, deployment, newRS, desired);
    }
    // Scale down old ReplicaSets as far as maxUnavailable allows, unhealthy pods first.
    const minAvailable = desired - unavailable;
    const all = owned();
    const allPods = all.reduce((sum, rs) => sum + replicas(rs), 0);
    const newUnavailable = replicas(newRS) - available(newRS);
    let budget = allPods - minAvailable - newUnavailable;
    for (const rs of oldRSs()) {
      if (budget <= 0) break;
      const unhealthy = Math.min(replicas(rs) - available(rs), budget);
      if (unhealthy > 0) {
        scale(registry, clock, deployment, rs, replicas(rs) - unhealthy);
        budget -= unhealthy;
      }
    }
    const availableNow = owned().reduce((sum, rs) => sum + available(rs), 0);
    let scaleDown = Math.min(budget, availableNow - minAvailable);
    for (const rs of oldRSs().sort(byCreation)) {
      if (scaleDown <= 0) break;
      const by = Math.min(replicas(rs), scaleDown);
      if (by > 0) {
        scale(registry, clock, deployment, rs, replicas(rs) - by);
        scaleDown -= by;
      }
    }
  }
  updateStatus(registry, clock, deployment, newRS, owned());
}

function fenceposts(rolling: Dict, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(rolling.maxSurge as number | string | undefined, '25%', desired, true);
  let unavailable = scaledValue(
    rolling.maxUnavailable as number | string | undefined,
    '25%',
    desired,
    false,
  );
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable: Math.min(unavailable, desired) };
}

/**
 * Whether the ReplicaSet runs the Deployment's pod template (its pod-template-hash label aside).
 * The canonical JSON of both is cached per stored object: the controllers compare every
 * ReplicaSet with its Deployment several times a second, and a stored object (frozen, see
 * ObjectStore.peek) never changes.
 */
function sameTemplate(rs: KubeObject, deployment: KubeObject): boolean {
  return (
    rsTemplateJson(rs) ===
    cached(deploymentTemplates, deployment, () => canonicalJson(dict(deployment.spec).template))
  );
}

const rsTemplates = new WeakMap<KubeObject, string>();
const deploymentTemplates = new WeakMap<KubeObject, string>();

function rsTemplateJson(rs: KubeObject): string {
  return cached(rsTemplates, rs, () => {
    const rsTemplate = structuredClone(dict(dict(rs.spec).template));
    const labels = dict(dict(rsTemplate.metadata).labels);
    delete labels[HASH_LABEL];
    return canonicalJson(rsTemplate);
  });
}

/** `compute(object)`, remembered for a stored (frozen, so unchanging) object. */
function cached(cache: WeakMap<KubeObject, string>, object: KubeObject, compute: () => string) {
  const known = cache.get(object);
  if (known !== undefined) return known;
  const value = compute();
  if (Object.isFrozen(object)) cache.set(object, value);
  return value;
}

function createReplicaSet(
  registry: Registry,
  clock: LabClock,
  deployment: KubeObject,
  olds: KubeObject[],
): KubeObject {
  const spec = dict(deployment.spec);
  const template = structuredClone(dict(spec.template));
  const hash = templateHash(template);
  const meta = dict(template.metadata);
  meta.labels = { ...dict(meta.labels), [HASH_LABEL]: hash };
  template.metadata = meta;
  const revision =
    Math.max(0, ...olds.map((rs) => Number(rs.metadata.annotations?.[REVISION] ?? 0))) + 1;
  const selector = dict(spec.selector);
  const rs = registry.create(REPLICASETS, deployment.metadata.namespace, {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${deployment.metadata.name}-${hash}`,
      labels: meta.labels,
      annotations: {
        'deployment.kubernetes.io/desired-replicas': String(spec.replicas ?? 1),
        'deployment.kubernetes.io/max-replicas': String(
          Number(spec.replicas ?? 1) +
            fenceposts(dict(dict(spec.strategy).rollingUpdate), Number(spec.replicas ?? 1)).surge,
        ),
        [REVISION]: String(revision),
      },
      ownerReferences: [controllerReference(deployment)],
    },
    spec: {
      replicas: 0,
      minReadySeconds: spec.minReadySeconds ?? 0,
      selector: { ...selector, matchLabels: { ...dict(selector.matchLabels), [HASH_LABEL]: hash } },
      template,
    },
  });
  const fresh = registry.store.get(
    DEPLOYMENTS,
    deployment.metadata.namespace,
    deployment.metadata.name ?? '',
  );
  if (fresh && fresh.metadata.annotations?.[REVISION] !== String(revision)) {
    fresh.metadata.annotations = { ...fresh.metadata.annotations, [REVISION]: String(revision) };
    registry.replace(DEPLOYMENTS, fresh.metadata.namespace, fresh.metadata.name ?? '', fresh);
  }
  return rs;
}

/** A rollback to an older template makes its ReplicaSet the newest revision again, as in Kubernetes. */
function promoteRevision(
  registry: Registry,
  deployment: KubeObject,
  rs: KubeObject,
  olds: KubeObject[],
): KubeObject {
  const revisionOf = (o: KubeObject) => Number(o.metadata.annotations?.[REVISION] ?? 0);
  const newest = Math.max(0, ...olds.map(revisionOf));
  if (revisionOf(rs) > newest) return rs;
  const revision = String(newest + 1);
  const promoted = registry.replace(REPLICASETS, rs.metadata.namespace, rs.metadata.name ?? '', {
    ...rs,
    metadata: { ...rs.metadata, annotations: { ...rs.metadata.annotations, [REVISION]: revision } },
  });
  const fresh = registry.store.get(
    DEPLOYMENTS,
    deployment.metadata.namespace,
    deployment.metadata.name ?? '',
  );
  if (fresh) {
    fresh.metadata.annotations = { ...fresh.metadata.annotations, [REVISION]: revision };
    registry.replace(DEPLOYMENTS, fresh.metadata.namespace, fresh.metadata.name ?? '', fresh);
  }
  return promoted;
}

function scale(
  registry: Registry,
  clock: LabClock,
  deployment: KubeObject,
  rs: KubeObject,
  to: number,
): KubeObject {
  const current =
    registry.store.get(REPLICASETS, rs.metadata.namespace, rs.metadata.name ?? '') ?? rs;
  const from = replicas(current);
  if (from === to) return current;
  const updated = registry.replace(
    REPLICASETS,
    current.metadata.namespace,
    current.metadata.name ?? '',
    {
      ...current,
      spec: { ...dict(current.spec), replicas: to },
    },
  );
  recordEvent(registry, clock, deployment, {
    type: 'Normal',
    reason: 'ScalingReplicaSet',
    message: `Scaled ${to > from ? 'up' : 'down'} replica set ${current.metadata.name} from ${from} to ${to}`,
    component: COMPONENT,
  });
  return updated;
}

function updateStatus(
  registry: Registry,
  clock: LabClock,
  deployment: KubeObject,
  newRS: KubeObject,
  all: KubeObject[],
): void {
  const fresh = registry.store.peekOne(
    DEPLOYMENTS,
    deployment.metadata.namespace,
    deployment.metadata.name ?? '',
  );
  if (!fresh) return;
  const spec = dict(fresh.spec);
  const desired = Number(spec.replicas ?? 1);
  const currentNew = all.find((rs) => rs.metadata.uid === newRS.metadata.uid) ?? newRS;
  const statusOf = (rs: KubeObject, field: string) => Number(dict(rs.status)[field] ?? 0);
  const sum = (field: string) => all.reduce((total, rs) => total + statusOf(rs, field), 0);
  const counts = {
    replicas: sum('replicas'),
    updatedReplicas: statusOf(currentNew, 'replicas'),
    readyReplicas: sum('readyReplicas'),
    availableReplicas: sum('availableReplicas'),
    unavailableReplicas: Math.max(
      0,
      all.reduce((total, rs) => total + replicas(rs), 0) - sum('availableReplicas'),
    ),
  };
  const previous = dict(fresh.status);
  const conditions = list(previous.conditions);
  const now = kubeTime(clock.now());
  const { unavailable } = fenceposts(dict(dict(spec.strategy).rollingUpdate), desired);
  const minimumAvailable = counts.availableReplicas >= desired - unavailable;
  const available = minimumAvailable
    ? {
        status: 'True',
        reason: 'MinimumReplicasAvailable',
        message: 'Deployment has minimum availability.',
      }
    : {
        status: 'False',
        reason: 'MinimumReplicasUnavailable',
        message: 'Deployment does not have minimum availability.',
      };

  const complete =
    counts.updatedReplicas === desired &&
    counts.replicas === desired &&
    counts.availableReplicas === desired &&
    replicas(currentNew) === desired;
  const progressedNow = ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas'].some(
    (field) => previous[field] !== counts[field as keyof typeof counts],
  );
  const rsName = currentNew.metadata.name;
  const oldProgressing = conditions.find((c) => c.type === 'Progressing');
  let progressing: Dict;
  if (complete) {
    progressing = {
      status: 'True',
      reason: 'NewReplicaSetAvailable',
      message: `ReplicaSet "${rsName}" has successfully progressed.`,
    };
  } else if (
    progressedNow ||
    !oldProgressing ||
    oldProgressing.reason === 'NewReplicaSetAvailable'
  ) {
    progressing = {
      status: 'True',
      reason: 'ReplicaSetUpdated',
      message: `ReplicaSet "${rsName}" is progressing.`,
      lastUpdateTime: now,
    };
  } else {
    const deadlineMs = Number(spec.progressDeadlineSeconds ?? 600) * 1000;
    const since = Date.parse(String(oldProgressing.lastUpdateTime ?? now));
    const timedOut =
      oldProgressing.reason === 'ProgressDeadlineExceeded' ||
      clock.now().getTime() - since > clock.wall(deadlineMs);
    progressing = timedOut
      ? {
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: `ReplicaSet "${rsName}" has timed out progressing.`,
        }
      : { ...oldProgressing };
  }
  const status = {
    observedGeneration: fresh.metadata.generation,
    ...counts,
    conditions: [
      condition(conditions, 'Available', available, now),
      condition(conditions, 'Progressing', progressing, now),
    ],
  };
  if (canonicalJson(status) !== canonicalJson(fresh.status ?? {})) {
    registry.replace(
      DEPLOYMENTS,
      fresh.metadata.namespace,
      fresh.metadata.name ?? '',
      { ...fresh, status },
      { subresource: 'status' },
    );
  }
}

/** A condition keeping its lastTransitionTime unless its status changed. */
function condition(existing: Dict[], type: string, next: Dict, now: string): Dict {
  const old = existing.find((c) => c.type === type);
  const transitioned = !old || old.status !== next.status;
  return {
    type,
    status: next.status,
    lastUpdateTime:
      next.lastUpdateTime ??
      (transitioned || old?.reason !== next.reason ? now : (old?.lastUpdateTime ?? now)),
    lastTransitionTime: transitioned ? now : (old?.lastTransitionTime ?? now),
    reason: next.reason,
    message: next.message,
  };
}

function replicas(rs: KubeObject): number {
  return Number(dict(rs.spec).replicas ?? 0);
}

function available(rs: KubeObject): number {
  return Number(dict(rs.status).availableReplicas ?? 0);
}

function byCreation(a: KubeObject, b: KubeObject): number {
  const key = (rs: KubeObject) =>
    `${rs.metadata.creationTimestamp ?? ''} ${rs.metadata.name ?? ''}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}
