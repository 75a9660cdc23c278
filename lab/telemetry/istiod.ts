import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { IstiodInstance, MeshState, XdsType } from '../mesh/types.js';
import { ISTIO_VERSION } from '../topology.js';
import { mirroredGauge } from './mirror.js';
import {
  EVENT_SNAPSHOT_MAX_AGE_MS,
  MISS_SNAPSHOT_MAX_AGE_MS,
  podKey,
  StateSnapshot,
} from './snapshot.js';
import { exposition, unavailable, type ScrapeTarget, type TargetSource } from './target.js';

/** pilot's buckets for `pilot_proxy_convergence_time` (seconds). */
export const CONVERGENCE_BUCKETS = [0.1, 0.5, 1, 3, 5, 10, 20, 30];

type IstiodRef = { namespace: string; pod: string };
type InjectionOutcome = 'success' | 'skip' | 'failure';

/** The metrics of one istiod process: created when it starts, discarded when it restarts. */
class IstiodProcess {
  readonly registry = new Registry();
  readonly pushes: Counter<'type'>;
  readonly convergence: Histogram;
  readonly rejects: Counter<'type'>;
  readonly injectionRequests: Counter;
  readonly injectionOutcomes: Record<InjectionOutcome, Counter>;

  constructor(
    readonly incarnation: string,
    /** The latest view of this replica; gauges read it at scrape time. */
    public instance: IstiodInstance,
  ) {
    const registers = [this.registry];
    this.pushes = new Counter({
      name: 'pilot_xds_pushes',
      help: 'Pilot build and send errors for lds, rds, cds and eds.',
      labelNames: ['type'],
      registers,
    });
    this.convergence = new Histogram({
      name: 'pilot_proxy_convergence_time',
      help: 'Delay in seconds between config change and a proxy receiving all required configuration.',
      buckets: CONVERGENCE_BUCKETS,
      registers,
    });
    this.rejects = new Counter({
      name: 'pilot_total_xds_rejects',
      help: 'Total number of XDS responses from pilot rejected by proxy.',
      labelNames: ['type'],
      registers,
    });
    const injection = (name: string, help: string) =>
      new Counter({ name: `sidecar_injection_${name}_total`, help, registers });
    this.injectionRequests = injection('requests', 'Total number of sidecar injection requests.');
    this.injectionOutcomes = {
      success: injection('success', 'Total number of successful sidecar injection requests.'),
      skip: injection('skip', 'Total number of skipped sidecar injection requests.'),
      failure: injection('failure', 'Total number of failed sidecar injection requests.'),
    };
    mirroredGauge({
      registry: this.registry,
      name: 'pilot_xds',
      help: 'Number of endpoints connected to this pilot using XDS.',
      labelNames: ['version'] as const,
      fill: (emit) => emit({ version: ISTIO_VERSION }, this.instance.connectedProxies),
    });
    const expiry = (name: string, what: string, notAfter: () => Date | undefined) =>
      mirroredGauge({
        registry: this.registry,
        name,
        help: `The unix timestamp, in seconds, when Citadel ${what} will expire. A negative time indicates the cert is expired.`,
        labelNames: [] as const,
        fill: (emit) => {
          const date = notAfter();
          if (date) emit({}, Math.floor(date.getTime() / 1000));
        },
      });
    expiry(
      'citadel_server_root_cert_expiry_timestamp',
      'root cert',
      () => this.instance.rootCertNotAfter,
    );
    expiry(
      'citadel_server_cert_chain_expiry_timestamp',
      'cert chain',
      () => this.instance.certChainNotAfter,
    );
    new Gauge({
      name: 'istio_build',
      help: 'Istio component build info',
      labelNames: ['component', 'tag'],
      registers,
    }).set({ component: 'pilot', tag: ISTIO_VERSION }, 1);
  }
}

/**
 * istiod's monitoring port (:15014), one target per replica (job `istiod`). Counters live in
 * the registry of the replica's current incarnation, so they restart from zero with the process.
 */
export class IstiodTelemetry implements TargetSource {
  readonly #processes = new Map<string, IstiodProcess>();
  readonly #instances: StateSnapshot<Map<string, IstiodInstance>>;

  constructor(private readonly state: MeshState) {
    this.#instances = new StateSnapshot(
      () => new Map(this.state.istiods().map((istiod) => [podKey(istiod), istiod])),
    );
  }

  targets(): ScrapeTarget[] {
    const instances = this.#instances.refresh();
    for (const key of this.#processes.keys()) if (!instances.has(key)) this.#processes.delete(key);
    return [...instances.values()].map((instance) => {
      const process = this.#process(instance);
      return {
        job: 'istiod',
        path: `/metrics/istiod/${podKey(instance)}`,
        labels: {
          namespace: instance.namespace,
          pod: instance.pod,
          app: 'istiod',
          istio_io_rev: instance.revision,
        },
        scrape: async () =>
          instance.running ? exposition(process.registry) : unavailable('istiod not running'),
      };
    });
  }

  xdsPush(istiod: IstiodRef, type: XdsType, error?: boolean): void {
    this.#current(istiod)?.pushes.inc({ type: error ? `${type}_senderr` : type });
  }

  convergence(istiod: IstiodRef, seconds: number): void {
    this.#current(istiod)?.convergence.observe(seconds);
  }

  xdsReject(istiod: IstiodRef, type: XdsType): void {
    this.#current(istiod)?.rejects.inc({ type });
  }

  injection(istiod: IstiodRef, outcome: InjectionOutcome): void {
    const process = this.#current(istiod);
    if (!process) return;
    process.injectionRequests.inc();
    process.injectionOutcomes[outcome].inc();
  }

  /** The running process of a replica the model lists; events about others are dropped. */
  #current(ref: IstiodRef): IstiodProcess | undefined {
    const key = podKey(ref);
    const instance =
      this.#instances.get(EVENT_SNAPSHOT_MAX_AGE_MS).get(key) ??
      this.#instances.get(MISS_SNAPSHOT_MAX_AGE_MS).get(key);
    return instance && this.#process(instance);
  }

  /** The process of the instance's incarnation, replacing (resetting) an older one. */
  #process(instance: IstiodInstance): IstiodProcess {
    const key = podKey(instance);
    let process = this.#processes.get(key);
    if (process?.incarnation !== instance.incarnation) {
      process = new IstiodProcess(instance.incarnation, instance);
      this.#processes.set(key, process);
    }
    process.instance = instance;
    return process;
  }
}
