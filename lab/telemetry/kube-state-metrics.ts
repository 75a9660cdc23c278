import { Registry as MetricsRegistry } from 'prom-client';
import type { Registry } from '../apiserver/registry.js';
import type { KubeObject } from '../apiserver/types.js';
import { DEPLOYMENTS, dict, list, PODS, type Dict } from '../controllers/objects.js';
import { mirroredCounter, mirroredGauge, type Emit } from './mirror.js';
import { exposition, type ScrapeTarget, type TargetSource } from './target.js';

const POD_PHASES = ['Pending', 'Succeeded', 'Failed', 'Unknown', 'Running'];
const CONDITION_STATUSES = ['true', 'false', 'unknown'];
const POD_LABELS = ['namespace', 'pod', 'uid'] as const;
const CONTAINER_LABELS = ['namespace', 'pod', 'uid', 'container'] as const;
const DEPLOYMENT_LABELS = ['namespace', 'deployment'] as const;

type PodLabel = (typeof POD_LABELS)[number];
type ContainerLabel = (typeof CONTAINER_LABELS)[number];
type DeploymentLabel = (typeof DEPLOYMENT_LABELS)[number];

interface ContainerStatus {
  labels: Record<ContainerLabel, string>;
  status: Dict;
}

/**
 * kube-state-metrics 2.x for the lab's pods and deployments, computed from the API registry at
 * scrape time (one read of each resource per scrape).
 */
export class KubeStateMetrics implements TargetSource {
  readonly #registry = new MetricsRegistry();
  #pods: readonly KubeObject[] = [];
  #deployments: readonly KubeObject[] = [];

  constructor(private readonly api: Registry) {
    this.#podMetrics();
    this.#containerMetrics();
    this.#deploymentMetrics();
  }

  targets(): ScrapeTarget[] {
    return [
      {
        job: 'kube-state-metrics',
        path: '/metrics/kube-state-metrics',
        labels: {},
        scrape: () => {
          this.#pods = this.api.store.peek(PODS, undefined);
          this.#deployments = this.api.store.peek(DEPLOYMENTS, undefined);
          return exposition(this.#registry);
        },
      },
    ];
  }

  #podGauge<T extends string>(
    name: string,
    help: string,
    extra: readonly T[],
    fill: (pod: KubeObject, labels: Record<PodLabel, string>, emit: Emit<PodLabel | T>) => void,
  ): void {
    mirroredGauge<PodLabel | T>({
      registry: this.#registry,
      name,
      help,
      labelNames: [...POD_LABELS, ...extra],
      fill: (emit) => {
        for (const pod of this.#pods) fill(pod, podLabels(pod), emit);
      },
    });
  }

  #podMetrics(): void {
    this.#podGauge(
      'kube_pod_info',
      'Information about pod.',
      [
        'host_ip',
        'pod_ip',
        'node',
        'created_by_kind',
        'created_by_name',
        'priority_class',
        'host_network',
      ] as const,
      (pod, labels, emit) => {
        const spec = dict(pod.spec);
        const status = dict(pod.status);
        const owner = controller(pod);
        emit(
          {
            ...labels,
            host_ip: text(status.hostIP),
            pod_ip: text(status.podIP),
            node: text(spec.nodeName),
            created_by_kind: owner ? text(owner.kind) : '<none>',
            created_by_name: owner ? text(owner.name) : '<none>',
            priority_class: text(spec.priorityClassName),
            host_network: String(spec.hostNetwork === true),
          },
          1,
        );
      },
    );
    this.#podGauge(
      'kube_pod_owner',
      "Information about the Pod's owner.",
      ['owner_kind', 'owner_name', 'owner_is_controller'] as const,
      (pod, labels, emit) => {
        const owners = pod.metadata.ownerReferences ?? [];
        if (owners.length === 0)
          emit(
            {
              ...labels,
              owner_kind: '<none>',
              owner_name: '<none>',
              owner_is_controller: '<none>',
            },
            1,
          );
        for (const owner of owners)
          emit(
            {
              ...labels,
              owner_kind: text(owner.kind),
              owner_name: text(owner.name),
              owner_is_controller: String(owner.controller === true),
            },
            1,
          );
      },
    );
    this.#podGauge(
      'kube_pod_status_phase',
      'The pods current phase.',
      ['phase'] as const,
      (pod, labels, emit) => {
        const phase = text(dict(pod.status).phase);
        if (phase === '') return;
        for (const each of POD_PHASES) emit({ ...labels, phase: each }, each === phase ? 1 : 0);
      },
    );
    this.#podGauge(
      'kube_pod_status_ready',
      'Describes whether the pod is ready to serve requests.',
      ['condition'] as const,
      (pod, labels, emit) => {
        const ready = list(dict(pod.status).conditions).find((c) => c.type === 'Ready');
        if (!ready) return;
        const status = text(ready.status).toLowerCase();
        for (const each of CONDITION_STATUSES)
          emit({ ...labels, condition: each }, each === status ? 1 : 0);
      },
    );
  }

  #containerMetric<T extends string = never>(
    kind: 'gauge' | 'counter',
    name: string,
    help: string,
    extra: readonly T[],
    fill: (container: ContainerStatus, emit: Emit<ContainerLabel | T>) => void,
  ): void {
    const mirror = kind === 'gauge' ? mirroredGauge : mirroredCounter;
    mirror<ContainerLabel | T>({
      registry: this.#registry,
      name,
      help,
      labelNames: [...CONTAINER_LABELS, ...extra],
      fill: (emit) => {
        for (const pod of this.#pods) {
          const labels = podLabels(pod);
          for (const status of list(dict(pod.status).containerStatuses))
            fill({ labels: { ...labels, container: text(status.name) }, status }, emit);
        }
      },
    });
  }

  #containerMetrics(): void {
    const state = (c: ContainerStatus, which: string) => dict(dict(c.status.state)[which]);
    const has = (c: ContainerStatus, which: string) => which in dict(c.status.state);
    this.#containerMetric(
      'counter',
      'kube_pod_container_status_restarts_total',
      'The number of container restarts per container.',
      [],
      (c, emit) => emit(c.labels, Number(c.status.restartCount ?? 0)),
    );
    this.#containerMetric(
      'gauge',
      'kube_pod_container_status_ready',
      'Describes whether the containers readiness check succeeded.',
      [],
      (c, emit) => emit(c.labels, c.status.ready === true ? 1 : 0),
    );
    this.#containerMetric(
      'gauge',
      'kube_pod_container_status_running',
      'Describes whether the container is currently in running state.',
      [],
      (c, emit) => emit(c.labels, has(c, 'running') ? 1 : 0),
    );
    this.#containerMetric(
      'gauge',
      'kube_pod_container_status_waiting',
      'Describes whether the container is currently in waiting state.',
      [],
      (c, emit) => emit(c.labels, has(c, 'waiting') ? 1 : 0),
    );
    this.#containerMetric(
      'gauge',
      'kube_pod_container_status_waiting_reason',
      'Describes the reason the container is currently in waiting state.',
      ['reason'] as const,
      (c, emit) => {
        const reason = text(state(c, 'waiting').reason);
        if (reason !== '') emit({ ...c.labels, reason }, 1);
      },
    );
    this.#containerMetric(
      'gauge',
      'kube_pod_container_status_terminated_reason',
      'Describes the reason the container is currently in terminated state.',
      ['reason'] as const,
      (c, emit) => {
        const reason = text(state(c, 'terminated').reason);
        if (reason !== '') emit({ ...c.labels, reason }, 1);
      },
    );
    this.#containerMetric(
      'gauge',
      'kube_pod_container_status_last_terminated_reason',
      'Describes the last reason the container was in terminated state.',
      ['reason'] as const,
      (c, emit) => {
        const reason = text(dict(dict(c.status.lastState).terminated).reason);
        if (reason !== '') emit({ ...c.labels, reason }, 1);
      },
    );
  }

  #deploymentGauge<T extends string = never>(
    name: string,
    help: string,
    extra: readonly T[],
    fill: (
      deployment: { spec: Dict; status: Dict; generation: number },
      labels: Record<DeploymentLabel, string>,
      emit: Emit<DeploymentLabel | T>,
    ) => void,
  ): void {
    mirroredGauge<DeploymentLabel | T>({
      registry: this.#registry,
      name,
      help,
      labelNames: [...DEPLOYMENT_LABELS, ...extra],
      fill: (emit) => {
        for (const d of this.#deployments) {
          const labels = {
            namespace: text(d.metadata.namespace),
            deployment: text(d.metadata.name),
          };
          const view = {
            spec: dict(d.spec),
            status: dict(d.status),
            generation: d.metadata.generation ?? 0,
          };
          fill(view, labels, emit);
        }
      },
    });
  }

  #deploymentMetrics(): void {
    const field = (
      name: string,
      help: string,
      value: (d: { spec: Dict; status: Dict }) => unknown,
    ) =>
      this.#deploymentGauge(name, help, [], (d, labels, emit) =>
        emit(labels, Number(value(d) ?? 0)),
      );
    field(
      'kube_deployment_spec_replicas',
      'Number of desired pods for a deployment.',
      (d) => d.spec.replicas ?? 1,
    );
    field(
      'kube_deployment_status_replicas',
      'The number of replicas per deployment.',
      (d) => d.status.replicas,
    );
    field(
      'kube_deployment_status_replicas_available',
      'The number of available replicas per deployment.',
      (d) => d.status.availableReplicas,
    );
    field(
      'kube_deployment_status_replicas_unavailable',
      'The number of unavailable replicas per deployment.',
      (d) => d.status.unavailableReplicas,
    );
    field(
      'kube_deployment_status_replicas_updated',
      'The number of updated replicas per deployment.',
      (d) => d.status.updatedReplicas,
    );
    field(
      'kube_deployment_status_observed_generation',
      'The generation observed by the deployment controller.',
      (d) => d.status.observedGeneration,
    );
    this.#deploymentGauge(
      'kube_deployment_metadata_generation',
      'Sequence number representing a specific generation of the desired state.',
      [],
      (d, labels, emit) => emit(labels, d.generation),
    );
    this.#deploymentGauge(
      'kube_deployment_status_condition',
      'The current status conditions of a deployment.',
      ['condition', 'status'] as const,
      (d, labels, emit) => {
        for (const condition of list(d.status.conditions)) {
          const status = text(condition.status).toLowerCase();
          for (const each of CONDITION_STATUSES)
            emit(
              { ...labels, condition: text(condition.type), status: each },
              each === status ? 1 : 0,
            );
        }
      },
    );
  }
}

function podLabels(pod: KubeObject): Record<PodLabel, string> {
  return {
    namespace: text(pod.metadata.namespace),
    pod: text(pod.metadata.name),
    uid: text(pod.metadata.uid),
  };
}

function controller(pod: KubeObject): Record<string, unknown> | undefined {
  return (pod.metadata.ownerReferences ?? []).find((ref) => ref.controller === true);
}

function text(value: unknown): string {
  return typeof value === 'string'
    ? value
    : value === undefined || value === null
      ? ''
      : String(value);
}
