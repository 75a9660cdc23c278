import { Counter, Histogram, Registry } from 'prom-client';
import type { MeshState, ProxyInstance, RequestRecord } from '../mesh/types.js';
import { mirroredGauge } from './mirror.js';
import {
  EVENT_SNAPSHOT_MAX_AGE_MS,
  MISS_SNAPSHOT_MAX_AGE_MS,
  podKey,
  StateSnapshot,
} from './snapshot.js';
import {
  exposition,
  seriesKey,
  unavailable,
  type ScrapeTarget,
  type TargetSource,
} from './target.js';

/** The buckets of Istio's `istio_request_duration_milliseconds`. */
export const ISTIO_DURATION_BUCKETS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000,
  1800000, 3600000,
];
/** istiod's CLUSTER_ID in the seeded topology; Istio labels every request with it. */
const CLUSTER_ID = 'Kubernetes';
const GATEWAY_APP = 'istio-ingressgateway';
const DAY_MS = 86_400_000;

const REQUEST_LABELS = [
  'namespace',
  'pod',
  'reporter',
  'source_workload',
  'source_workload_namespace',
  'source_principal',
  'source_app',
  'source_version',
  'source_canonical_service',
  'source_canonical_revision',
  'source_cluster',
  'destination_workload',
  'destination_workload_namespace',
  'destination_principal',
  'destination_app',
  'destination_version',
  'destination_service',
  'destination_service_name',
  'destination_service_namespace',
  'destination_canonical_service',
  'destination_canonical_revision',
  'destination_cluster',
  'request_protocol',
  'response_code',
  'response_flags',
  'connection_security_policy',
  'grpc_response_status',
] as const;
type RequestLabel = (typeof REQUEST_LABELS)[number];
type RequestLabels = Record<RequestLabel, string>;

const SSL_LABELS = ['namespace', 'pod', 'envoy_listener_address'] as const;
type SslLabels = Record<(typeof SSL_LABELS)[number], string>;
const SHADOW_LABELS = ['namespace', 'pod', 'envoy_http_conn_manager_prefix'] as const;
type ShadowLabels = Record<(typeof SHADOW_LABELS)[number], string>;
/** The inbound HTTP connection manager of a sidecar serving on 8080, as Envoy's stat tag names it. */
const INBOUND_HCM = 'inbound_0.0.0.0_8080';

/** The series one scrape target serves: the sidecars of a namespace, or one gateway pod. */
class ProxyGroup {
  readonly registry = new Registry();
  readonly #requests: Counter<RequestLabel>;
  readonly #duration: Histogram<RequestLabel>;
  readonly #sslErrors: Counter<(typeof SSL_LABELS)[number]>;
  /** Label sets recorded per pod, so that a gone pod's series can be removed. */
  readonly #requestSeries = new Map<string, Map<string, RequestLabels>>();
  readonly #sslSeries = new Map<string, Map<string, SslLabels>>();
  readonly #shadowDenials: Counter<(typeof SHADOW_LABELS)[number]>;
  readonly #shadowSeries = new Map<string, Map<string, ShadowLabels>>();
  #members: ProxyInstance[] = [];

  constructor() {
    const registers = [this.registry];
    this.#requests = new Counter({
      name: 'istio_requests_total',
      help: 'Total requests.',
      labelNames: REQUEST_LABELS,
      registers,
    });
    this.#duration = new Histogram({
      name: 'istio_request_duration_milliseconds',
      help: 'Request duration in milliseconds.',
      labelNames: REQUEST_LABELS,
      buckets: ISTIO_DURATION_BUCKETS,
      registers,
    });
    this.#sslErrors = new Counter({
      name: 'envoy_listener_ssl_connection_error',
      help: 'Failed TLS handshakes on a listener.',
      labelNames: SSL_LABELS,
      registers,
    });
    // Envoy's RBAC shadow stat under Istio's dry-run prefix (`istio_dry_run_deny_`).
    this.#shadowDenials = new Counter({
      name: 'envoy_http_rbac_istio_dry_run_deny_shadow_denied',
      help: 'Requests a dry-run DENY policy would have denied.',
      labelNames: SHADOW_LABELS,
      registers,
    });
    mirroredGauge({
      registry: this.registry,
      name: 'envoy_control_plane_connected_state',
      help: 'Whether the proxy has an xDS stream to the control plane (1) or not (0).',
      labelNames: ['namespace', 'pod'] as const,
      fill: (emit) => {
        for (const proxy of this.running())
          emit({ namespace: proxy.namespace, pod: proxy.pod }, proxy.connected ? 1 : 0);
      },
    });
    mirroredGauge({
      registry: this.registry,
      name: 'envoy_server_days_until_first_cert_expiring',
      help: 'Days until the first certificate the proxy serves expires.',
      labelNames: ['namespace', 'pod'] as const,
      fill: (emit) => {
        const now = Date.now();
        for (const proxy of this.running())
          emit({ namespace: proxy.namespace, pod: proxy.pod }, daysUntil(proxy.certNotAfter, now));
      },
    });
  }

  running(): ProxyInstance[] {
    return this.#members.filter((proxy) => proxy.running);
  }

  request(record: RequestRecord): void {
    const labels = requestLabels(record);
    remember(this.#requestSeries, record.reporterPod.pod, labels);
    this.#requests.inc(labels);
    this.#duration.observe(labels, record.durationMs);
  }

  sslError(pod: string, labels: SslLabels): void {
    remember(this.#sslSeries, pod, labels);
    this.#sslErrors.inc(labels);
  }

  shadowDenied(pod: string, labels: ShadowLabels): void {
    remember(this.#shadowSeries, pod, labels);
    this.#shadowDenials.inc(labels);
  }

  /** Takes the group's current proxies and removes the series of pods no longer among them. */
  sync(members: ProxyInstance[]): void {
    this.#members = members;
    const live = new Set(members.map((proxy) => proxy.pod));
    for (const [pod, series] of this.#requestSeries) {
      if (live.has(pod)) continue;
      for (const labels of series.values()) {
        this.#requests.remove(labels);
        this.#duration.remove(labels);
      }
      this.#requestSeries.delete(pod);
    }
    for (const [pod, series] of this.#sslSeries) {
      if (live.has(pod)) continue;
      for (const labels of series.values()) this.#sslErrors.remove(labels);
      this.#sslSeries.delete(pod);
    }
    for (const [pod, series] of this.#shadowSeries) {
      if (live.has(pod)) continue;
      for (const labels of series.values()) this.#shadowDenials.remove(labels);
      this.#shadowSeries.delete(pod);
    }
  }
}

function remember<L extends Record<string, string>>(
  byPod: Map<string, Map<string, L>>,
  pod: string,
  labels: L,
): void {
  let series = byPod.get(pod);
  if (!series) byPod.set(pod, (series = new Map()));
  const key = seriesKey(labels);
  if (!series.has(key)) series.set(key, labels);
}

/**
 * Envoy's `server.days_until_first_cert_expiring`: whole days left, 0 once expired (the stat is
 * unsigned) and 0 when the proxy serves no certificate (Envoy's `value_or(0)`).
 */
function daysUntil(notAfter: Date | undefined, now: number): number {
  if (!notAfter) return 0;
  return Math.max(0, Math.floor((notAfter.getTime() - now) / DAY_MS));
}

function requestLabels(record: RequestRecord): RequestLabels {
  const { source, destination } = record;
  return {
    namespace: record.reporterPod.namespace,
    pod: record.reporterPod.pod,
    reporter: record.reporter,
    source_workload: source.workload,
    source_workload_namespace: source.namespace,
    source_principal: source.principal,
    source_app: source.app,
    source_version: source.version,
    source_canonical_service: source.canonicalService,
    source_canonical_revision: source.canonicalRevision,
    source_cluster: CLUSTER_ID,
    destination_workload: destination.workload,
    destination_workload_namespace: destination.namespace,
    destination_principal: destination.principal,
    destination_app: destination.app,
    destination_version: destination.version,
    destination_service: destination.service,
    destination_service_name: destination.serviceName,
    destination_service_namespace: destination.namespace,
    destination_canonical_service: destination.canonicalService,
    destination_canonical_revision: destination.canonicalRevision,
    destination_cluster: CLUSTER_ID,
    request_protocol: record.requestProtocol,
    response_code: String(record.responseCode),
    response_flags: record.responseFlags,
    connection_security_policy: record.connectionSecurityPolicy,
    grpc_response_status:
      record.requestProtocol === 'grpc' ? String(grpcStatus(record.responseCode)) : '',
  };
}

/** Envoy's Grpc::Utility::httpToGrpcStatus, for replies that carry no grpc-status of their own. */
function grpcStatus(httpCode: number): number {
  switch (httpCode) {
    case 200:
      return 0; // OK
    case 400:
      return 13; // INTERNAL
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 12; // UNIMPLEMENTED
    case 429:
    case 502:
    case 503:
    case 504:
      return 14; // UNAVAILABLE
    default:
      return 2; // UNKNOWN
  }
}

/**
 * The Envoys' stats: one target per meshed namespace for its sidecars (job `istio-proxies`) and
 * one per gateway pod (job `istio-gateway`). Counters are recorded on the reporting proxy's
 * target; series of pods the mesh model no longer lists are removed.
 */
export class ProxyTelemetry implements TargetSource {
  readonly #sidecars = new Map<string, ProxyGroup>();
  readonly #gateways = new Map<string, ProxyGroup>();
  readonly #index: StateSnapshot<Map<string, ProxyInstance>>;

  constructor(private readonly state: MeshState) {
    this.#index = new StateSnapshot(
      () => new Map(this.state.proxies().map((proxy) => [podKey(proxy), proxy])),
    );
  }

  targets(): ScrapeTarget[] {
    const proxies = [...this.#index.refresh().values()];
    const sidecarsByNamespace = new Map<string, ProxyInstance[]>();
    const gateways = new Map<string, ProxyInstance>();
    for (const proxy of proxies) {
      if (proxy.kind === 'gateway') {
        gateways.set(podKey(proxy), proxy);
      } else {
        const members = sidecarsByNamespace.get(proxy.namespace) ?? [];
        members.push(proxy);
        sidecarsByNamespace.set(proxy.namespace, members);
      }
    }
    const targets: ScrapeTarget[] = [];
    for (const namespace of this.#sidecars.keys())
      if (!sidecarsByNamespace.has(namespace)) this.#sidecars.delete(namespace);
    for (const [namespace, members] of sidecarsByNamespace) {
      const group = this.#group(this.#sidecars, namespace);
      group.sync(members);
      targets.push({
        job: 'istio-proxies',
        path: `/metrics/proxies/${namespace}`,
        labels: { namespace },
        scrape: async () =>
          group.running().length > 0
            ? exposition(group.registry)
            : unavailable(`no istio-proxy running in namespace ${namespace}`),
      });
    }
    for (const key of this.#gateways.keys()) if (!gateways.has(key)) this.#gateways.delete(key);
    for (const [key, gateway] of gateways) {
      const group = this.#group(this.#gateways, key);
      group.sync([gateway]);
      targets.push({
        job: 'istio-gateway',
        path: `/metrics/gateway/${key}`,
        labels: { namespace: gateway.namespace, pod: gateway.pod, app: GATEWAY_APP },
        scrape: async () =>
          gateway.running ? exposition(group.registry) : unavailable('gateway not running'),
      });
    }
    return targets;
  }

  request(record: RequestRecord): void {
    this.#groupOf(record.reporterPod)?.request(record);
  }

  sslConnectionError(proxy: { namespace: string; pod: string }, listenerAddress: string): void {
    this.#groupOf(proxy)?.sslError(proxy.pod, {
      namespace: proxy.namespace,
      pod: proxy.pod,
      envoy_listener_address: listenerAddress,
    });
  }

  rbacShadowDenied(proxy: { namespace: string; pod: string }): void {
    this.#groupOf(proxy)?.shadowDenied(proxy.pod, {
      namespace: proxy.namespace,
      pod: proxy.pod,
      envoy_http_conn_manager_prefix: INBOUND_HCM,
    });
  }

  /** The group of a proxy the model lists; events about any other pod are dropped. */
  #groupOf(ref: { namespace: string; pod: string }): ProxyGroup | undefined {
    const key = podKey(ref);
    const proxy =
      this.#index.get(EVENT_SNAPSHOT_MAX_AGE_MS).get(key) ??
      this.#index.get(MISS_SNAPSHOT_MAX_AGE_MS).get(key);
    if (!proxy) return undefined;
    return proxy.kind === 'gateway'
      ? this.#group(this.#gateways, key)
      : this.#group(this.#sidecars, proxy.namespace);
  }

  #group(groups: Map<string, ProxyGroup>, key: string): ProxyGroup {
    let group = groups.get(key);
    if (!group) groups.set(key, (group = new ProxyGroup()));
    return group;
  }
}
