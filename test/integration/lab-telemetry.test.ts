import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../../lab/apiserver/registry.js';
import { defaultWorkingSet } from '../../lab/index.js';
import type { IstiodInstance, MeshState, ProxyInstance } from '../../lab/mesh/types.js';
import { startTelemetry, type Telemetry } from '../../lab/telemetry/index.js';
import { getJson, startPrometheus, waitFor, type PrometheusHandle } from '../support/index.js';
import { ordersToPayments } from '../support/mesh-records.js';

// A real Prometheus scrapes the exporter; the test plays the mesh model through a fake MeshState.

const ISTIOD = { namespace: 'istio-system', pod: 'istiod-7d4f9c-x2x9k' };
const PAYMENTS = { namespace: 'payments', pod: 'payments-api-5b8d7-q7w2z' };

const istiod: IstiodInstance = {
  ...ISTIOD,
  revision: 'default',
  running: true,
  incarnation: 'first',
  connectedProxies: 3,
};
const sidecar: ProxyInstance = {
  ...PAYMENTS,
  workload: 'payments-api',
  kind: 'sidecar',
  running: true,
  connected: true,
  xdsPort: 15012,
};
const state: MeshState = { istiods: () => [istiod], proxies: () => [sidecar] };

let telemetry: Telemetry;
let prometheus: PrometheusHandle;

beforeAll(async () => {
  telemetry = await startTelemetry({
    registry: new Registry(),
    state,
    workingSet: defaultWorkingSet,
  });
  const target = new URL(telemetry.url).host;
  prometheus = await startPrometheus({
    scrapeTargets: [
      {
        job: 'istiod',
        targets: [target],
        metricsPath: `/metrics/istiod/${ISTIOD.namespace}/${ISTIOD.pod}`,
      },
      {
        job: 'istio-proxies',
        targets: [target],
        metricsPath: `/metrics/proxies/${PAYMENTS.namespace}`,
      },
    ],
  });
});

afterAll(async () => {
  await prometheus?.dispose();
  await telemetry?.stop();
});

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(promql: string): Promise<VectorSample[]> {
  const answer = await getJson<{
    status: string;
    data: { resultType: string; result: VectorSample[] };
  }>(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
  if (answer.status !== 'success' || answer.data.resultType !== 'vector')
    throw new Error(`unexpected answer to ${promql}: ${JSON.stringify(answer)}`);
  return answer.data.result;
}

/** The value of the single series `promql` selects, or undefined while there is none. */
async function valueOf(promql: string): Promise<number | undefined> {
  const result = await query(promql);
  if (result.length > 1) throw new Error(`${promql} selects ${result.length} series`);
  return result[0] && Number(result[0].value[1]);
}

describe('lab telemetry scraped by Prometheus', () => {
  it('reports istiod up while it runs and down while it does not', async () => {
    await waitFor(async () => (await valueOf('up{job="istiod"}')) === 1, {
      description: 'up{job="istiod"} == 1',
      timeoutMs: 20_000,
    });
    expect(await valueOf('pilot_xds{job="istiod",version="1.24.2"}')).toBe(3);

    istiod.running = false;
    await waitFor(async () => (await valueOf('up{job="istiod"}')) === 0, {
      description: 'up{job="istiod"} == 0 once istiod stops',
      timeoutMs: 20_000,
    });

    istiod.running = true;
    istiod.incarnation = 'second';
    await waitFor(async () => (await valueOf('up{job="istiod"}')) === 1, {
      description: 'up{job="istiod"} == 1 after istiod restarts',
      timeoutMs: 20_000,
    });
  });

  it('makes requests recorded through events queryable with Istio labels', async () => {
    telemetry.events.request(
      ordersToPayments(PAYMENTS, { responseCode: 503, responseFlags: 'UF', durationMs: 40 }),
    );

    const selector =
      'istio_requests_total{job="istio-proxies",reporter="destination",' +
      'destination_service="payments-api.payments.svc.cluster.local",' +
      'source_workload="orders-api",response_code="503",response_flags="UF"}';
    const [series] = await waitFor(
      async () => {
        const result = await query(selector);
        return result.length === 1 && result;
      },
      { description: `${selector} to be scraped`, timeoutMs: 20_000 },
    );
    expect(Number(series!.value[1])).toBe(1);
    expect(series!.metric).toMatchObject({
      namespace: 'payments',
      pod: PAYMENTS.pod,
      destination_workload: 'payments-api',
      destination_workload_namespace: 'payments',
      connection_security_policy: 'mutual_tls',
      request_protocol: 'http',
    });
    // An empty label value is no label at all to Prometheus.
    expect(series!.metric).not.toHaveProperty('grpc_response_status');
    expect(
      await valueOf(
        'istio_request_duration_milliseconds_bucket{job="istio-proxies",response_code="503",le="50"}',
      ),
    ).toBe(1);
  });
});
