/**
 * The contract between the mesh model (which derives the mesh from API state and simulates
 * traffic) and the telemetry exporter (which turns it into Istio-named Prometheus series).
 * The model is the only writer; the exporter reads state at scrape time and is told about
 * events (requests, pushes, injections) as they happen.
 */

/** A workload as Istio's telemetry labels name it. */
export interface WorkloadIdentity {
  /** Deployment name, e.g. `payments-api`; `unknown` for traffic from outside the mesh. */
  workload: string;
  namespace: string;
  /** SPIFFE principal, e.g. `spiffe://cluster.local/ns/payments/sa/payments-api`; `unknown` without mTLS. */
  principal: string;
  app: string;
  version: string;
  canonicalService: string;
  canonicalRevision: string;
}

/** One simulated request, reported once by the source proxy and once by the destination's. */
export interface RequestRecord {
  reporter: 'source' | 'destination';
  /** The proxy that reports it: the source pod for `source`, the destination pod for `destination`. */
  reporterPod: { namespace: string; pod: string };
  source: WorkloadIdentity;
  destination: WorkloadIdentity & {
    /** FQDN of the destination service, e.g. `payments-api.payments.svc.cluster.local`. */
    service: string;
    serviceName: string;
  };
  requestProtocol: 'http' | 'grpc';
  responseCode: number;
  /** Envoy response flags: `-`, `UH`, `UF`, `URX`, `NR`, `UAEX`, `DC`… */
  responseFlags: string;
  connectionSecurityPolicy: 'mutual_tls' | 'none' | 'unknown';
  durationMs: number;
}

/** An istiod replica as the model sees it. */
export interface IstiodInstance {
  namespace: string;
  pod: string;
  revision: string;
  /** The discovery container runs, so the process serves its monitoring port (:15014). */
  running: boolean;
  /** Changes whenever the process (re)starts; process-local counters start again from zero. */
  incarnation: string;
  /** xDS streams currently open to this replica. */
  connectedProxies: number;
  /** Not-after of the certificate istiod signs workload certificates with (its CA chain). */
  certChainNotAfter?: Date;
  /** Not-after of the root certificate istiod distributes. */
  rootCertNotAfter?: Date;
}

/** An Envoy: a sidecar, or a gateway pod. */
export interface ProxyInstance {
  namespace: string;
  pod: string;
  workload: string;
  kind: 'sidecar' | 'gateway';
  /** The istio-proxy container runs, so the proxy serves its stats (:15090/:15020). */
  running: boolean;
  /** An xDS stream to some istiod is open (`envoy_control_plane_connected_state`). */
  connected: boolean;
  /** The istiod port this proxy dials: 15012 (TLS, default) or 15010 (plaintext). */
  xdsPort: 15010 | 15012;
  /** Not-after of the certificate the proxy serves (workload cert, or gateway credential). */
  certNotAfter?: Date;
}

/** Read by the exporter at every scrape. */
export interface MeshState {
  istiods(): IstiodInstance[];
  proxies(): ProxyInstance[];
}

export type XdsType = 'cds' | 'eds' | 'lds' | 'rds' | 'nds';

/** Told by the model as things happen. Every method is cheap and never throws. */
export interface MeshEvents {
  request(record: RequestRecord): void;
  /** istiod pushed config of `type` to one proxy; `error` when the send failed (`<type>_senderr`). */
  xdsPush(istiod: { namespace: string; pod: string }, type: XdsType, error?: boolean): void;
  /** Time from a config change to the proxy acknowledging it (`pilot_proxy_convergence_time`). */
  convergence(istiod: { namespace: string; pod: string }, seconds: number): void;
  /** A proxy NACKed pushed config (`pilot_total_xds_rejects`). */
  xdsReject(istiod: { namespace: string; pod: string }, type: XdsType): void;
  /** The injection webhook handled a pod (`sidecar_injection_requests_total` and friends). */
  injection(
    istiod: { namespace: string; pod: string },
    outcome: 'success' | 'skip' | 'failure',
  ): void;
  /**
   * The API server called an admission webhook
   * (`apiserver_admission_webhook_request_total`, `…_rejection_count`).
   */
  webhookCall(call: {
    name: string;
    operation: 'CREATE' | 'UPDATE';
    /** HTTP code of the webhook's answer; 0 when it could not be called. */
    code: number;
    rejected: boolean;
    /** Set when rejected: `calling_webhook_error` (unreachable) or `apiserver_internal_error`. */
    errorType?: 'calling_webhook_error' | 'apiserver_internal_error' | 'no_error';
  }): void;
  /**
   * A dry-run (`istio.io/dry-run`) DENY policy would have denied a request at this proxy
   * (`envoy_http_rbac_istio_dry_run_deny_shadow_denied`).
   */
  rbacShadowDenied?(proxy: { namespace: string; pod: string }): void;
  /** A TLS handshake on a proxy's listener failed (`envoy_listener_ssl_connection_error`). */
  sslConnectionError(proxy: { namespace: string; pod: string }, listenerAddress: string): void;
}
