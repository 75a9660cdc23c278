import type { AdmissionHook, Registry } from '../apiserver/registry.js';
import { ApiError } from '../apiserver/errors.js';
import {
  labelSelectorFromObject,
  matches,
  type LabelSelectorObject,
} from '../apiserver/selectors.js';
import type { KubeObject } from '../apiserver/types.js';
import {
  dict,
  list,
  MUTATING_WEBHOOKS,
  NAMESPACES,
  NETWORK_POLICIES,
  SERVICES,
} from '../controllers/objects.js';
import { NODE_IP } from '../controllers/kubelet.js';
import { ISTIO_VERSION } from '../topology.js';
import { hasContainer, labelsOf, namespaceLabels, podReady, podsOf, SIDECAR } from './cluster.js';
import { ingressAllowed } from './network-policy.js';
import type { MeshEvents } from './types.js';

interface Webhook {
  name: string;
  service: { namespace: string; name: string; port: number; path: string };
  timeoutSeconds: number;
}

/** The webhook of a MutatingWebhookConfiguration that wants this pod, if any (first match). */
function webhookFor(registry: Registry, pod: KubeObject, namespace: string): Webhook | undefined {
  const nsLabels = namespaceLabels(registry, namespace);
  for (const config of registry.store.peek(MUTATING_WEBHOOKS, undefined)) {
    for (const hook of list(config.webhooks)) {
      const strings = (value: unknown) => (Array.isArray(value) ? value.map(String) : []);
      const wantsPods = list(hook.rules).some(
        (rule) =>
          strings(rule.operations).some((op) => op === 'CREATE' || op === '*') &&
          strings(rule.resources).some((r) => r === 'pods' || r === '*'),
      );
      const service = dict(dict(hook.clientConfig).service);
      if (!wantsPods || !service.name) continue;
      const selects = (selector: unknown, labels: Record<string, string>) =>
        matches(labelSelectorFromObject((selector ?? {}) as LabelSelectorObject), labels);
      if (
        !selects(hook.namespaceSelector, nsLabels) ||
        !selects(hook.objectSelector, labelsOf(pod))
      )
        continue;
      return {
        name: String(hook.name),
        service: {
          namespace: String(service.namespace),
          name: String(service.name),
          port: Number(service.port ?? 443),
          path: String(service.path ?? '/'),
        },
        timeoutSeconds: Number(hook.timeoutSeconds ?? 10),
      };
    }
  }
  return undefined;
}

/**
 * Why the API server cannot call the webhook, in its words: no ready endpoint behind the
 * Service, or every endpoint's NetworkPolicies drop the API server's packets (a timeout).
 */
function unreachable(registry: Registry, webhook: Webhook): string | undefined {
  const { namespace, name, port, path } = webhook.service;
  const url = `Post "https://${name}.${namespace}.svc:${port}${path}?timeout=${webhook.timeoutSeconds}s"`;
  const service = registry.store.get(SERVICES, namespace, name);
  if (!service) return `${url}: service "${name}" not found`;
  const servicePort = list(dict(service.spec).ports).find((p) => Number(p.port) === port);
  const targetPort = Number(servicePort?.targetPort ?? port);
  const endpoints = podsOf(registry, service).filter(podReady);
  if (endpoints.length === 0) return `${url}: no endpoints available for service "${name}"`;
  const policies = registry.store.peek(NETWORK_POLICIES, undefined);
  const namespaces = registry.store.peek(NAMESPACES, undefined);
  const admitted = endpoints.some((pod) =>
    ingressAllowed(
      policies,
      namespaces,
      { namespace, labels: labelsOf(pod) },
      { port: targetPort, protocol: 'TCP' },
      { external: true, ip: NODE_IP },
    ),
  );
  return admitted ? undefined : `${url}: context deadline exceeded`;
}

/** What istiod's injector adds: the istio-proxy container and the labels telemetry relies on. */
function inject(pod: KubeObject): void {
  const labels = labelsOf(pod);
  const spec = dict(pod.spec);
  const containers = list(spec.containers);
  pod.metadata.labels = {
    ...labels,
    'security.istio.io/tlsMode': 'istio',
    'service.istio.io/canonical-name': labels.app ?? pod.metadata.generateName ?? 'unknown',
    'service.istio.io/canonical-revision': labels.version ?? 'latest',
  };
  pod.metadata.annotations = {
    ...pod.metadata.annotations,
    'sidecar.istio.io/status': JSON.stringify({
      initContainers: ['istio-init'],
      containers: [SIDECAR],
      volumes: ['istio-envoy', 'istio-data', 'istio-podinfo', 'istio-token', 'istiod-ca-cert'],
      revision: 'default',
    }),
    'prometheus.io/path': '/stats/prometheus',
    'prometheus.io/port': '15020',
    'prometheus.io/scrape': 'true',
  };
  pod.spec = {
    ...spec,
    containers: [
      ...containers,
      {
        name: SIDECAR,
        image: `docker.io/istio/proxyv2:${ISTIO_VERSION}`,
        args: ['proxy', 'sidecar', '--domain', '$(POD_NAMESPACE).svc.cluster.local'],
        ports: [{ containerPort: 15090, name: 'http-envoy-prom', protocol: 'TCP' }],
        readinessProbe: {
          httpGet: { path: '/healthz/ready', port: 15021 },
          periodSeconds: 15,
          failureThreshold: 4,
        },
        resources: {
          requests: { cpu: '100m', memory: '128Mi' },
          limits: { cpu: '2', memory: '1Gi' },
        },
      },
    ],
  };
}

/**
 * The API server's side of the sidecar-injector webhook (failurePolicy Fail): pods created in
 * an injected namespace get a sidecar when istiod's port 15017 is reachable, and are
 * rejected with kube-apiserver's own message when it is not, so rollouts stall.
 */
export function sidecarInjector(
  registry: Registry,
  events: () => MeshEvents,
  istiodFor: () => { namespace: string; pod: string } | undefined,
): AdmissionHook {
  return (operation, resource, pod) => {
    if (operation !== 'create' || resource.kind !== 'Pod' || hasContainer(pod, SIDECAR)) return;
    const webhook = webhookFor(registry, pod, pod.metadata.namespace ?? '');
    if (!webhook) return;
    const why = unreachable(registry, webhook);
    if (why) {
      events().webhookCall({
        name: webhook.name,
        operation: 'CREATE',
        code: 0,
        rejected: true,
        errorType: 'calling_webhook_error',
      });
      throw new ApiError(
        500,
        'InternalError',
        `Internal error occurred: failed calling webhook "${webhook.name}": failed to call webhook: ${why}`,
      );
    }
    inject(pod);
    events().webhookCall({ name: webhook.name, operation: 'CREATE', code: 200, rejected: false });
    const istiod = istiodFor();
    if (istiod) events().injection(istiod, 'success');
  };
}
