import type { RequestRecord } from '../../lab/mesh/types.js';

/** A request orders-api → payments-api as the payments sidecar (`reporterPod`) reports it. */
export function ordersToPayments(
  reporterPod: RequestRecord['reporterPod'],
  overrides: Partial<RequestRecord> = {},
): RequestRecord {
  return {
    reporter: 'destination',
    reporterPod,
    source: {
      workload: 'orders-api',
      namespace: 'orders',
      principal: 'spiffe://cluster.local/ns/orders/sa/orders-api',
      app: 'orders-api',
      version: 'v1',
      canonicalService: 'orders-api',
      canonicalRevision: 'v1',
    },
    destination: {
      workload: 'payments-api',
      namespace: 'payments',
      principal: 'spiffe://cluster.local/ns/payments/sa/payments-api',
      app: 'payments-api',
      version: 'v1',
      canonicalService: 'payments-api',
      canonicalRevision: 'v1',
      service: 'payments-api.payments.svc.cluster.local',
      serviceName: 'payments-api',
    },
    requestProtocol: 'http',
    responseCode: 200,
    responseFlags: '-',
    connectionSecurityPolicy: 'mutual_tls',
    durationMs: 12,
    ...overrides,
  };
}
