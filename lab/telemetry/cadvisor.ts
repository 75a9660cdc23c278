import { Registry as MetricsRegistry } from 'prom-client';
import { parseQuantity, quantityText } from '../../src/quantity.js';
import type { Registry } from '../apiserver/registry.js';
import type { KubeObject } from '../apiserver/types.js';
import { NODE_NAME, type WorkingSet } from '../controllers/kubelet.js';
import { dict, list, PODS, type Dict } from '../controllers/objects.js';
import { mirroredCounter, mirroredGauge, type Emit } from './mirror.js';
import { exposition, type ScrapeTarget, type TargetSource } from './target.js';

const LABELS = ['namespace', 'pod', 'container', 'image', 'name', 'id'] as const;
type Label = (typeof LABELS)[number];
/** CPU an idle lab container burns, in cores; the lab models memory, not CPU. */
const IDLE_CPU_CORES = 0.002;

interface Container {
  labels: Record<Label, string>;
  status: Dict;
  /** When the container runs: state.running.startedAt, its working set and memory limit. */
  running?: { since: number; workingSet: number; memoryLimit: number };
}

/**
 * The kubelet's cAdvisor endpoint for the lab's one node, computed from pod status and the
 * container specs at scrape time. Usage series exist only for running containers.
 */
export class CadvisorMetrics implements TargetSource {
  readonly #registry = new MetricsRegistry();
  #containers: Container[] = [];

  constructor(
    private readonly api: Registry,
    private readonly workingSet: WorkingSet,
  ) {
    const running = (fill: (c: Container, emit: Emit<Label>) => void) => (emit: Emit<Label>) => {
      for (const c of this.#containers) if (c.running) fill(c, emit);
    };
    const registry = this.#registry;
    mirroredGauge({
      registry,
      name: 'container_memory_working_set_bytes',
      help: 'Current working set of the container in bytes',
      labelNames: LABELS,
      fill: running((c, emit) => emit(c.labels, c.running?.workingSet ?? 0)),
    });
    // The lab has no page cache, so RSS is the working set.
    mirroredGauge({
      registry,
      name: 'container_memory_rss',
      help: 'Size of RSS in bytes.',
      labelNames: LABELS,
      fill: running((c, emit) => emit(c.labels, c.running?.workingSet ?? 0)),
    });
    mirroredGauge({
      registry,
      name: 'container_spec_memory_limit_bytes',
      help: 'Memory limit for the container.',
      labelNames: LABELS,
      fill: running((c, emit) => emit(c.labels, c.running?.memoryLimit ?? 0)),
    });
    mirroredCounter({
      registry,
      name: 'container_cpu_usage_seconds_total',
      help: 'Cumulative cpu time consumed in seconds.',
      labelNames: LABELS,
      fill: running((c, emit) =>
        emit(c.labels, (Math.max(0, Date.now() - (c.running?.since ?? 0)) / 1000) * IDLE_CPU_CORES),
      ),
    });
    // Approximation: every restart counts as an OOM kill when the last termination was one, and
    // the series outlives the container instance (real cAdvisor keys it by cgroup).
    mirroredCounter({
      registry,
      name: 'container_oom_events_total',
      help: 'Count of out of memory events observed for the container',
      labelNames: LABELS,
      fill: (emit) => {
        for (const c of this.#containers) {
          const last = dict(dict(c.status.lastState).terminated);
          emit(c.labels, last.reason === 'OOMKilled' ? Number(c.status.restartCount ?? 0) : 0);
        }
      },
    });
  }

  targets(): ScrapeTarget[] {
    return [
      {
        job: 'cadvisor',
        path: '/metrics/cadvisor',
        labels: { node: NODE_NAME },
        scrape: () => {
          this.#containers = this.api.store
            .list(PODS, undefined)
            .flatMap((pod) => containersOf(pod, this.workingSet));
          return exposition(this.#registry);
        },
      },
    ];
  }
}

function containersOf(pod: KubeObject, workingSet: WorkingSet): Container[] {
  const specs = new Map(list(dict(pod.spec).containers).map((c) => [String(c.name), c]));
  const uid = pod.metadata.uid ?? '';
  const cgroup = `/kubepods${qosSlice(dict(pod.status).qosClass)}/pod${uid}`;
  return list(dict(pod.status).containerStatuses).flatMap((status): Container[] => {
    const name = String(status.name);
    const spec = specs.get(name);
    if (!spec) return [];
    // Stable per (pod, container), so counters survive restarts as one series.
    const id = containerHash(`${uid}/${name}`);
    const startedAt = dict(dict(status.state).running).startedAt;
    return [
      {
        labels: {
          namespace: pod.metadata.namespace ?? '',
          pod: pod.metadata.name ?? '',
          container: name,
          image: String(status.image ?? spec.image ?? ''),
          name: id,
          id: `${cgroup}/${id}`,
        },
        status,
        ...(typeof startedAt === 'string' && {
          running: {
            since: Date.parse(startedAt),
            workingSet: workingSet(pod, spec),
            memoryLimit: memoryLimit(spec),
          },
        }),
      },
    ];
  });
}

/** cAdvisor reports 0 for a container without a memory limit. */
function memoryLimit(spec: Dict): number {
  const limit = quantityText(dict(dict(spec.resources).limits).memory);
  return (limit !== undefined && parseQuantity(limit)) || 0;
}

function qosSlice(qosClass: unknown): string {
  if (qosClass === 'Burstable') return '/burstable';
  if (qosClass === 'BestEffort') return '/besteffort';
  return '';
}

/** A 64-hex-digit container ID, as containerd names them. */
function containerHash(seed: string): string {
  let hash = 0x811c9dc5;
  for (const char of seed) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0').repeat(8);
}
