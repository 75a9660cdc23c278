import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../lab/apiserver/types.js';
import { PODS } from '../../lab/controllers/objects.js';
import { defaultWorkingSet, startLab, type Lab } from '../../lab/index.js';
import type {
  IstiodInstance,
  MeshState,
  ProxyInstance,
  RequestRecord,
} from '../../lab/mesh/types.js';
import {
  ISTIO_DURATION_BUCKETS,
  startTelemetry,
  type Telemetry,
} from '../../lab/telemetry/index.js';
import type { WorkingSet } from '../../lab/controllers/kubelet.js';
import { waitFor } from '../support/index.js';
import { ordersToPayments } from '../support/mesh-records.js';

// ---- a small parser for the Prometheus text format ----

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Exposition {
  samples: Sample[];
  /** `# TYPE` per metric family. */
  types: Map<string, string>;
}

function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const type = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (type) types.set(type[1]!, type[2]!);
      continue;
    }
    samples.push(parseSample(line));
  }
  return { samples, types };
}

function parseSample(line: string): Sample {
  let pos = 0;
  while (pos < line.length && /[a-zA-Z0-9_:]/.test(line[pos]!)) pos++;
  const name = line.slice(0, pos);
  const labels: Record<string, string> = {};
  if (line[pos] === '{') {
    pos++;
    while (line[pos] !== '}') {
      const eq = line.indexOf('=', pos);
      const label = line.slice(pos, eq);
      if (line[eq + 1] !== '"') throw new Error(`bad label value in ${line}`);
      pos = eq + 2;
      let value = '';
      while (line[pos] !== '"') {
        if (line[pos] === '\\') {
          const escaped = line[pos + 1];
          value += escaped === 'n' ? '\n' : escaped;
          pos += 2;
        } else {
          value += line[pos];
          pos++;
        }
        if (pos >= line.length) throw new Error(`unterminated label value in ${line}`);
      }
      labels[label] = value;
      pos++;
      if (line[pos] === ',') pos++;
    }
    pos++;
  }
  const rest = line.slice(pos).trim().split(/\s+/);
  if (rest.length < 1 || rest.length > 2) throw new Error(`bad sample line ${line}`);
  const value = Number(rest[0] === '+Inf' ? Infinity : rest[0]);
  if (Number.isNaN(value) && rest[0] !== 'NaN') throw new Error(`bad value in ${line}`);
  return { name, labels, value };
}

/** Samples named `name` whose labels include `match`. */
function find(exposition: Exposition, name: string, match: Record<string, string> = {}): Sample[] {
  return exposition.samples.filter(
    (s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v),
  );
}

function one(exposition: Exposition, name: string, match: Record<string, string> = {}): Sample {
  const found = find(exposition, name, match);
  if (found.length !== 1)
    throw new Error(`expected one ${name}${JSON.stringify(match)}, found ${found.length}`);
  return found[0]!;
}

// ---- a fake mesh model ----

class FakeMesh implements MeshState {
  istiodList: IstiodInstance[] = [];
  proxyList: ProxyInstance[] = [];
  istiods(): IstiodInstance[] {
    return this.istiodList;
  }
  proxies(): ProxyInstance[] {
    return this.proxyList;
  }
}

const ISTIOD = { namespace: 'istio-system', pod: 'istiod-abc12-xyz34' };
const GATEWAY = { namespace: 'istio-system', pod: 'istio-ingressgateway-def56-uvw78' };
const PAYMENTS_A = { namespace: 'payments', pod: 'payments-api-f9m-aaaaa' };
const PAYMENTS_B = { namespace: 'payments', pod: 'payments-api-f9m-bbbbb' };

function istiod(overrides: Partial<IstiodInstance> = {}): IstiodInstance {
  return {
    ...ISTIOD,
    revision: 'default',
    running: true,
    incarnation: 'one',
    connectedProxies: 5,
    ...overrides,
  };
}

function proxy(
  ref: { namespace: string; pod: string },
  overrides: Partial<ProxyInstance> = {},
): ProxyInstance {
  return {
    ...ref,
    workload: ref.pod.split('-').slice(0, -2).join('-'),
    kind: 'sidecar',
    running: true,
    connected: true,
    xdsPort: 15012,
    ...overrides,
  };
}

function request(overrides: Partial<RequestRecord> = {}): RequestRecord {
  return ordersToPayments(PAYMENTS_A, overrides);
}

// ---- the lab and the exporter under test ----

const MiB = 1024 * 1024;
/** frontend-web uses more than its 256Mi limit, so the kubelet OOM-kills it over and over. */
const workingSet: WorkingSet = (pod, container) =>
  container.name === 'frontend-web' ? 512 * MiB : defaultWorkingSet(pod, container);

let lab: Lab;
let mesh: FakeMesh;
let telemetry: Telemetry | undefined;

beforeAll(async () => {
  // A bare cluster (no mesh model, so no exporter of its own): the test plays the model.
  lab = await startLab({ seed: 'topology', speed: 20, workingSet, mesh: false });
  await lab.controllers.settled();
});

afterAll(async () => {
  await lab?.stop();
});

async function start(): Promise<Telemetry> {
  mesh = new FakeMesh();
  telemetry = await startTelemetry({ registry: lab.registry, state: mesh, workingSet });
  return telemetry;
}

afterEach(async () => {
  await telemetry?.stop();
  telemetry = undefined;
});

async function get(path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${telemetry!.url}${path}`);
  return { status: res.status, text: await res.text() };
}

async function scrape(path: string): Promise<Exposition> {
  const { status, text } = await get(path);
  expect(status, `${path}: ${text}`).toBe(200);
  return parseExposition(text);
}

const ISTIOD_PATH = `/metrics/istiod/${ISTIOD.namespace}/${ISTIOD.pod}`;
const GATEWAY_PATH = `/metrics/gateway/${GATEWAY.namespace}/${GATEWAY.pod}`;

describe('istiod target', () => {
  it('exports pilot and citadel series of the running process', async () => {
    const t = await start();
    const rootNotAfter = new Date('2035-01-02T03:04:05Z');
    mesh.istiodList = [istiod({ connectedProxies: 7, rootCertNotAfter: rootNotAfter })];
    t.events.xdsPush(ISTIOD, 'cds');
    t.events.xdsPush(ISTIOD, 'cds');
    t.events.xdsPush(ISTIOD, 'eds', true);
    t.events.xdsReject(ISTIOD, 'lds');
    t.events.convergence(ISTIOD, 0.2);
    t.events.injection(ISTIOD, 'success');
    t.events.injection(ISTIOD, 'failure');

    const m = await scrape(ISTIOD_PATH);
    expect(one(m, 'pilot_xds').labels).toEqual({ version: '1.24.2' });
    expect(one(m, 'pilot_xds').value).toBe(7);
    expect(one(m, 'pilot_xds_pushes', { type: 'cds' }).value).toBe(2);
    expect(one(m, 'pilot_xds_pushes', { type: 'eds_senderr' }).value).toBe(1);
    expect(find(m, 'pilot_xds_pushes', { type: 'eds' })).toEqual([]);
    expect(one(m, 'pilot_total_xds_rejects', { type: 'lds' }).value).toBe(1);
    expect(one(m, 'pilot_proxy_convergence_time_bucket', { le: '0.5' }).value).toBe(1);
    expect(one(m, 'pilot_proxy_convergence_time_bucket', { le: '0.1' }).value).toBe(0);
    expect(one(m, 'pilot_proxy_convergence_time_count').value).toBe(1);
    expect(m.types.get('pilot_proxy_convergence_time')).toBe('histogram');
    expect(one(m, 'sidecar_injection_requests_total').value).toBe(2);
    expect(one(m, 'sidecar_injection_success_total').value).toBe(1);
    expect(one(m, 'sidecar_injection_failure_total').value).toBe(1);
    expect(one(m, 'sidecar_injection_skip_total').value).toBe(0);
    expect(one(m, 'citadel_server_root_cert_expiry_timestamp').value).toBe(
      rootNotAfter.getTime() / 1000,
    );
    // Unknown to the model: absent, not 0 (which would read as "expired in 1970").
    expect(find(m, 'citadel_server_cert_chain_expiry_timestamp')).toEqual([]);
    expect(one(m, 'istio_build').labels).toEqual({ component: 'pilot', tag: '1.24.2' });
  });

  it('answers 503 while istiod is not running and 404 once the pod is gone', async () => {
    await start();
    mesh.istiodList = [istiod({ running: false })];
    expect(await get(ISTIOD_PATH)).toEqual({ status: 503, text: 'istiod not running\n' });
    mesh.istiodList = [];
    expect((await get(ISTIOD_PATH)).status).toBe(404);
  });

  it('starts counting from zero when the process restarts (new incarnation)', async () => {
    const t = await start();
    mesh.istiodList = [istiod({ incarnation: 'one' })];
    t.events.xdsPush(ISTIOD, 'cds');
    t.events.xdsPush(ISTIOD, 'cds');
    t.events.injection(ISTIOD, 'skip');
    expect(one(await scrape(ISTIOD_PATH), 'pilot_xds_pushes', { type: 'cds' }).value).toBe(2);

    mesh.istiodList = [istiod({ incarnation: 'two' })];
    const restarted = await scrape(ISTIOD_PATH);
    expect(find(restarted, 'pilot_xds_pushes')).toEqual([]);
    expect(one(restarted, 'sidecar_injection_skip_total').value).toBe(0);
    t.events.xdsPush(ISTIOD, 'cds');
    expect(one(await scrape(ISTIOD_PATH), 'pilot_xds_pushes', { type: 'cds' }).value).toBe(1);
  });
});

describe('proxy targets', () => {
  it('records requests on the reporting pod with Istio labels and buckets', async () => {
    const t = await start();
    mesh.proxyList = [proxy(PAYMENTS_A), proxy(PAYMENTS_B)];
    t.events.request(request({ durationMs: 12 }));
    t.events.request(request({ durationMs: 700 }));
    t.events.request(
      request({
        reporterPod: PAYMENTS_B,
        requestProtocol: 'grpc',
        responseCode: 503,
        responseFlags: 'UF',
      }),
    );

    const m = await scrape('/metrics/proxies/payments');
    expect(m.types.get('istio_requests_total')).toBe('counter');
    const a = one(m, 'istio_requests_total', { pod: PAYMENTS_A.pod });
    expect(a.value).toBe(2);
    expect(a.labels).toEqual({
      namespace: 'payments',
      pod: PAYMENTS_A.pod,
      reporter: 'destination',
      source_workload: 'orders-api',
      source_workload_namespace: 'orders',
      source_principal: 'spiffe://cluster.local/ns/orders/sa/orders-api',
      source_app: 'orders-api',
      source_version: 'v1',
      source_canonical_service: 'orders-api',
      source_canonical_revision: 'v1',
      source_cluster: 'Kubernetes',
      destination_workload: 'payments-api',
      destination_workload_namespace: 'payments',
      destination_principal: 'spiffe://cluster.local/ns/payments/sa/payments-api',
      destination_app: 'payments-api',
      destination_version: 'v1',
      destination_service: 'payments-api.payments.svc.cluster.local',
      destination_service_name: 'payments-api',
      destination_service_namespace: 'payments',
      destination_canonical_service: 'payments-api',
      destination_canonical_revision: 'v1',
      destination_cluster: 'Kubernetes',
      request_protocol: 'http',
      response_code: '200',
      response_flags: '-',
      connection_security_policy: 'mutual_tls',
      grpc_response_status: '',
    });
    const b = one(m, 'istio_requests_total', { pod: PAYMENTS_B.pod });
    expect(b.labels).toMatchObject({
      request_protocol: 'grpc',
      response_code: '503',
      response_flags: 'UF',
      grpc_response_status: '14',
    });

    const buckets = find(m, 'istio_request_duration_milliseconds_bucket', { pod: PAYMENTS_A.pod });
    expect(buckets.map((s) => s.labels.le)).toEqual([
      ...ISTIO_DURATION_BUCKETS.map(String),
      '+Inf',
    ]);
    expect(
      one(m, 'istio_request_duration_milliseconds_bucket', { pod: PAYMENTS_A.pod, le: '25' }).value,
    ).toBe(1);
    expect(
      one(m, 'istio_request_duration_milliseconds_bucket', { pod: PAYMENTS_A.pod, le: '1000' })
        .value,
    ).toBe(2);
    expect(one(m, 'istio_request_duration_milliseconds_sum', { pod: PAYMENTS_A.pod }).value).toBe(
      712,
    );
  });

  it('exports control-plane connection, certificate days and TLS errors per proxy', async () => {
    const t = await start();
    const now = Date.now();
    mesh.proxyList = [
      proxy(PAYMENTS_A, { connected: false, certNotAfter: new Date(now + 2.5 * 86_400_000) }),
      proxy(PAYMENTS_B, { certNotAfter: new Date(now - 86_400_000) }),
    ];
    t.events.sslConnectionError(PAYMENTS_A, '0.0.0.0_15006');
    t.events.sslConnectionError(PAYMENTS_A, '0.0.0.0_15006');

    const m = await scrape('/metrics/proxies/payments');
    expect(one(m, 'envoy_control_plane_connected_state', { pod: PAYMENTS_A.pod }).value).toBe(0);
    expect(one(m, 'envoy_control_plane_connected_state', { pod: PAYMENTS_B.pod }).value).toBe(1);
    expect(
      one(m, 'envoy_server_days_until_first_cert_expiring', { pod: PAYMENTS_A.pod }).value,
    ).toBe(2);
    expect(
      one(m, 'envoy_server_days_until_first_cert_expiring', { pod: PAYMENTS_B.pod }).value,
    ).toBe(0);
    expect(one(m, 'envoy_listener_ssl_connection_error').labels).toEqual({
      namespace: 'payments',
      pod: PAYMENTS_A.pod,
      envoy_listener_address: '0.0.0.0_15006',
    });
    expect(one(m, 'envoy_listener_ssl_connection_error').value).toBe(2);
  });

  it('removes the series of pods the model no longer lists', async () => {
    const t = await start();
    mesh.proxyList = [proxy(PAYMENTS_A), proxy(PAYMENTS_B)];
    t.events.request(request({ reporterPod: PAYMENTS_A }));
    t.events.request(request({ reporterPod: PAYMENTS_B }));
    t.events.sslConnectionError(PAYMENTS_A, '0.0.0.0_15006');
    const before = await scrape('/metrics/proxies/payments');
    expect(
      find(before, 'istio_requests_total')
        .map((s) => s.labels.pod)
        .sort(),
    ).toEqual([PAYMENTS_A.pod, PAYMENTS_B.pod].sort());

    mesh.proxyList = [proxy(PAYMENTS_B)];
    const after = await scrape('/metrics/proxies/payments');
    const podsIn = (name: string) => new Set(find(after, name).map((s) => s.labels.pod));
    for (const name of [
      'istio_requests_total',
      'istio_request_duration_milliseconds_bucket',
      'istio_request_duration_milliseconds_count',
      'envoy_control_plane_connected_state',
    ])
      expect(podsIn(name), name).toEqual(new Set([PAYMENTS_B.pod]));
    expect(find(after, 'envoy_listener_ssl_connection_error')).toEqual([]);
  });

  it('drops events about pods the model does not list', async () => {
    const t = await start();
    mesh.proxyList = [proxy(PAYMENTS_A)];
    t.events.request(request({ reporterPod: { namespace: 'payments', pod: 'no-such-pod' } }));
    t.events.xdsPush({ namespace: 'istio-system', pod: 'no-such-istiod' }, 'cds');
    const m = await scrape('/metrics/proxies/payments');
    expect(find(m, 'istio_requests_total')).toEqual([]);
  });

  it('answers 503 for a namespace without a running proxy, 404 for one without proxies', async () => {
    await start();
    mesh.proxyList = [proxy(PAYMENTS_A, { running: false }), proxy(PAYMENTS_B, { running: false })];
    expect((await get('/metrics/proxies/payments')).status).toBe(503);
    mesh.proxyList[0] = proxy(PAYMENTS_A);
    expect((await get('/metrics/proxies/payments')).status).toBe(200);
    expect((await get('/metrics/proxies/orders')).status).toBe(404);
  });

  it('gives each gateway pod its own target', async () => {
    const t = await start();
    mesh.proxyList = [proxy(GATEWAY, { kind: 'gateway', workload: 'istio-ingressgateway' })];
    t.events.request(
      request({ reporter: 'source', reporterPod: GATEWAY, connectionSecurityPolicy: 'unknown' }),
    );
    const m = await scrape(GATEWAY_PATH);
    expect(one(m, 'istio_requests_total').labels).toMatchObject({
      namespace: GATEWAY.namespace,
      pod: GATEWAY.pod,
      reporter: 'source',
    });
    expect((await get('/metrics/proxies/istio-system')).status).toBe(404);
    mesh.proxyList = [
      proxy(GATEWAY, { kind: 'gateway', workload: 'istio-ingressgateway', running: false }),
    ];
    expect((await get(GATEWAY_PATH)).status).toBe(503);
  });
});

describe('apiserver target', () => {
  it('counts admission webhook calls and rejections', async () => {
    const t = await start();
    const name = 'namespace.sidecar-injector.istio.io';
    t.events.webhookCall({ name, operation: 'CREATE', code: 200, rejected: false });
    t.events.webhookCall({ name, operation: 'CREATE', code: 0, rejected: true });
    const m = await scrape('/metrics/apiserver');
    expect(one(m, 'apiserver_admission_webhook_request_total', { code: '200' }).labels).toEqual({
      name,
      type: 'admit',
      operation: 'CREATE',
      code: '200',
      rejected: 'false',
    });
    expect(one(m, 'apiserver_admission_webhook_request_total', { code: '0' }).labels.rejected).toBe(
      'true',
    );
    expect(one(m, 'apiserver_admission_webhook_rejection_count').labels).toEqual({
      name,
      type: 'admit',
      operation: 'CREATE',
      error_type: 'calling_webhook_error',
      rejection_code: '0',
    });
  });
});

describe('kube-state-metrics and cAdvisor targets', () => {
  const pods = () => lab.registry.store.list(PODS, undefined);
  const podOf = (prefix: string): KubeObject => {
    const pod = pods().find((p) => p.metadata.name?.startsWith(prefix));
    if (!pod) throw new Error(`no ${prefix} pod`);
    return pod;
  };

  it('describe pods, containers and deployments from the API registry', async () => {
    await start();
    const pod = await waitFor(
      async () => {
        const m = await scrape('/metrics/kube-state-metrics');
        const running = find(m, 'kube_pod_container_status_running', { container: 'discovery' });
        return running[0]?.value === 1 && podOf('istiod-');
      },
      { description: 'istiod running in kube-state-metrics' },
    );
    const labels = {
      namespace: 'istio-system',
      pod: pod.metadata.name ?? '',
      uid: pod.metadata.uid ?? '',
    };
    const m = await scrape('/metrics/kube-state-metrics');
    expect(m.types.get('kube_pod_container_status_restarts_total')).toBe('counter');
    expect(
      one(m, 'kube_pod_container_status_restarts_total', { ...labels, container: 'discovery' })
        .value,
    ).toBe(0);
    expect(one(m, 'kube_pod_status_phase', { ...labels, phase: 'Running' }).value).toBe(1);
    expect(one(m, 'kube_pod_status_phase', { ...labels, phase: 'Pending' }).value).toBe(0);
    expect(one(m, 'kube_pod_owner', labels).labels).toMatchObject({
      owner_kind: 'ReplicaSet',
      owner_is_controller: 'true',
    });
    expect(one(m, 'kube_pod_info', labels).labels).toMatchObject({
      node: 'gameday-lab-node',
      created_by_kind: 'ReplicaSet',
    });
    const istiodDeployment = { namespace: 'istio-system', deployment: 'istiod' };
    expect(one(m, 'kube_deployment_spec_replicas', istiodDeployment).value).toBe(1);
    expect(one(m, 'kube_deployment_metadata_generation', istiodDeployment).value).toBe(1);
    expect(
      find(m, 'kube_deployment_status_condition', istiodDeployment).map((s) => s.labels.status),
    ).toEqual(expect.arrayContaining(['true', 'false', 'unknown']));
  });

  it('report OOM kills of a container over its memory limit', async () => {
    await start();
    const m = await waitFor(
      async () => {
        const ksm = await scrape('/metrics/kube-state-metrics');
        const oom = find(ksm, 'kube_pod_container_status_last_terminated_reason', {
          container: 'frontend-web',
          reason: 'OOMKilled',
        });
        return oom.length === 2 && ksm;
      },
      { description: 'both frontend-web pods OOM-killed' },
    );
    const restarts = find(m, 'kube_pod_container_status_restarts_total', {
      container: 'frontend-web',
    });
    expect(restarts.every((s) => s.value >= 1)).toBe(true);

    const cadvisor = await scrape('/metrics/cadvisor');
    const ooms = find(cadvisor, 'container_oom_events_total', { container: 'frontend-web' });
    expect(ooms).toHaveLength(2);
    expect(ooms.every((s) => s.value >= 1)).toBe(true);
    expect(
      find(cadvisor, 'container_oom_events_total', { container: 'discovery' }).map((s) => s.value),
    ).toEqual([0]);
  });

  it('report working set and limit of running containers', async () => {
    await start();
    const gateway = podOf('istio-ingressgateway-');
    const m = await waitFor(
      async () => {
        const c = await scrape('/metrics/cadvisor');
        return (
          find(c, 'container_memory_working_set_bytes', { pod: gateway.metadata.name ?? '' })
            .length === 1 && c
        );
      },
      { description: 'the gateway container running in cAdvisor' },
    );
    const series = one(m, 'container_memory_working_set_bytes', {
      pod: gateway.metadata.name ?? '',
    });
    expect(series.value).toBe(48 * MiB);
    expect(series.labels).toMatchObject({
      namespace: 'istio-system',
      container: 'istio-proxy',
      image: 'docker.io/istio/proxyv2:1.24.2',
    });
    expect(series.labels.id).toMatch(new RegExp(`^/kubepods/[a-z/]*pod${gateway.metadata.uid}/`));
    expect(
      one(m, 'container_spec_memory_limit_bytes', { pod: gateway.metadata.name ?? '' }).value,
    ).toBe(1024 * MiB);
    expect(one(m, 'container_memory_rss', { pod: gateway.metadata.name ?? '' }).value).toBe(
      48 * MiB,
    );
    expect(m.types.get('container_cpu_usage_seconds_total')).toBe('counter');
    expect(
      one(m, 'container_cpu_usage_seconds_total', { pod: gateway.metadata.name ?? '' }).value,
    ).toBeGreaterThanOrEqual(0);
  });
});

describe('HTTP service discovery', () => {
  it('lists one target per component with its path, job and target labels', async () => {
    const t = await start();
    mesh.istiodList = [istiod()];
    mesh.proxyList = [
      proxy(PAYMENTS_A),
      proxy(GATEWAY, { kind: 'gateway', workload: 'istio-ingressgateway' }),
    ];
    const res = await fetch(t.sdUrl);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const groups = (await res.json()) as Array<{
      targets: string[];
      labels: Record<string, string>;
    }>;
    const address = new URL(t.url).host;
    expect(groups.every((g) => g.targets.length === 1 && g.targets[0] === address)).toBe(true);
    expect(groups.map((g) => g.labels).sort((a, b) => a.job!.localeCompare(b.job!))).toEqual([
      { __metrics_path__: '/metrics/apiserver', job: 'apiserver' },
      { __metrics_path__: '/metrics/cadvisor', job: 'cadvisor', node: 'gameday-lab-node' },
      {
        __metrics_path__: GATEWAY_PATH,
        job: 'istio-gateway',
        namespace: GATEWAY.namespace,
        pod: GATEWAY.pod,
        app: 'istio-ingressgateway',
      },
      {
        __metrics_path__: '/metrics/proxies/payments',
        job: 'istio-proxies',
        namespace: 'payments',
      },
      {
        __metrics_path__: ISTIOD_PATH,
        job: 'istiod',
        namespace: ISTIOD.namespace,
        pod: ISTIOD.pod,
        app: 'istiod',
        istio_io_rev: 'default',
      },
      { __metrics_path__: '/metrics/kube-state-metrics', job: 'kube-state-metrics' },
    ]);
    for (const group of groups)
      expect((await get(group.labels.__metrics_path__!)).status).toBe(200);
    expect((await get('/metrics/nothing')).status).toBe(404);
  });
});
