import type { Registry } from './apiserver/registry.js';
import { findResourceByKind } from './apiserver/resources.js';
import type { KubeObject } from './apiserver/types.js';
import {
  createCertificateAuthority,
  issueCertificate,
  type Certificate,
  type Issuer,
} from '../src/pki.js';

/** The Istio release the seeded control plane imitates. */
export const ISTIO_VERSION = '1.24.2';
const HUB = 'docker.io/istio';

/**
 * The seeded cluster (SPEC §9): istiod and an ingress gateway in istio-system as the
 * Istio Helm charts install them (default revision, chart-default strategy and
 * resources), the sidecar injector webhook, and three meshed application namespaces.
 */
export async function seedTopology(registry: Registry): Promise<{ shopCaPem: string }> {
  const pki = await meshCertificates();
  for (const object of [
    ...controlPlane(pki),
    ...ingressGateway(),
    ...shopGateway(pki),
    ...applications(pki),
  ]) {
    create(registry, object);
  }
  return { shopCaPem: pki.shopCa };
}

/** The host the seeded gateway serves over TLS, and the Secret holding its certificate. */
export const SHOP_HOST = 'shop.example.com';
export const SHOP_CREDENTIAL = 'shop-example-com-cert';

interface MeshCertificates {
  /** istiod's self-signed root, as it creates it when no `cacerts` Secret exists. */
  root: Issuer;
  /** The shop's public certificate chain, issued by an external CA. */
  shop: Certificate;
  /** That external CA's certificate: what the shop's clients trust. */
  shopCa: string;
}

async function meshCertificates(): Promise<MeshCertificates> {
  const root = await createCertificateAuthority('cluster.local');
  const publicCa = await createCertificateAuthority('Example Shop Issuing CA');
  const shop = await issueCertificate(publicCa, {
    commonName: SHOP_HOST,
    hosts: [SHOP_HOST, `www.${SHOP_HOST}`],
  });
  return { root, shop: { ...shop, cert: shop.cert + publicCa.cert }, shopCa: publicCa.cert };
}

const base64 = (text: string) => Buffer.from(text).toString('base64');

/** The ingress gateway's public HTTPS server for the shop, routed to the frontend. */
function shopGateway(pki: MeshCertificates): KubeObject[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: SHOP_CREDENTIAL, namespace: 'istio-system' },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': base64(pki.shop.cert), 'tls.key': base64(pki.shop.key) },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: { name: 'shop-gateway', namespace: 'istio-system' },
      spec: {
        selector: { istio: 'ingressgateway' },
        servers: [
          {
            port: { number: 443, name: 'https', protocol: 'HTTPS' },
            hosts: [SHOP_HOST],
            tls: { mode: 'SIMPLE', credentialName: SHOP_CREDENTIAL },
          },
          {
            port: { number: 80, name: 'http', protocol: 'HTTP' },
            hosts: [SHOP_HOST],
            tls: { httpsRedirect: true },
          },
        ],
      },
    },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'shop', namespace: 'frontend' },
      spec: {
        hosts: [SHOP_HOST],
        gateways: ['istio-system/shop-gateway'],
        http: [
          {
            route: [
              {
                destination: {
                  host: 'frontend-web.frontend.svc.cluster.local',
                  port: { number: 80 },
                },
              },
            ],
          },
        ],
      },
    },
  ];
}

function create(registry: Registry, object: KubeObject): void {
  const resource = findResourceByKind(object.apiVersion, object.kind);
  if (!resource) throw new Error(`the lab does not serve ${object.apiVersion} ${object.kind}`);
  registry.create(resource, object.metadata.namespace, object);
}

const ISTIOD_LABELS = {
  app: 'istiod',
  'istio.io/rev': 'default',
  'install.operator.istio.io/owning-resource': 'unknown',
  'operator.istio.io/component': 'Pilot',
  istio: 'pilot',
  release: 'istio',
  'app.kubernetes.io/name': 'istiod',
  'app.kubernetes.io/part-of': 'istio',
  'app.kubernetes.io/instance': 'istio',
  'app.kubernetes.io/version': ISTIO_VERSION,
  'helm.sh/chart': `istiod-${ISTIO_VERSION}`,
};

function fieldRef(name: string, fieldPath: string) {
  return { name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } };
}

function controlPlane(pki: MeshCertificates): KubeObject[] {
  const ns = 'istio-system';
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'istio-ca-secret', namespace: ns },
      type: 'istio.io/ca-root',
      data: {
        'ca-cert.pem': base64(pki.root.cert),
        'ca-key.pem': base64(pki.root.key),
        'cert-chain.pem': '',
        'key.pem': '',
        'root-cert.pem': '',
      },
    },
    rootCertConfigMap(ns, pki),
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'istiod', namespace: ns, labels: { app: 'istiod', release: 'istio' } },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'istio',
        namespace: ns,
        labels: { 'istio.io/rev': 'default', release: 'istio' },
      },
      data: {
        mesh: [
          'defaultConfig:',
          '  discoveryAddress: istiod.istio-system.svc:15012',
          'enablePrometheusMerge: true',
          'rootNamespace: istio-system',
          'trustDomain: cluster.local',
          '',
        ].join('\n'),
        meshNetworks: 'networks: {}',
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'istiod', namespace: ns, labels: ISTIOD_LABELS },
      spec: {
        // The chart's defaults: one replica (an HPA scales it), surge 100%, unavailable 25%.
        replicas: 1,
        strategy: { rollingUpdate: { maxSurge: '100%', maxUnavailable: '25%' } },
        selector: { matchLabels: { istio: 'pilot' } },
        template: {
          metadata: {
            labels: {
              app: 'istiod',
              'istio.io/rev': 'default',
              'install.operator.istio.io/owning-resource': 'unknown',
              'sidecar.istio.io/inject': 'false',
              'operator.istio.io/component': 'Pilot',
              istio: 'pilot',
              'istio.io/dataplane-mode': 'none',
            },
            annotations: {
              'prometheus.io/port': '15014',
              'prometheus.io/scrape': 'true',
              'sidecar.istio.io/inject': 'false',
            },
          },
          spec: {
            serviceAccountName: 'istiod',
            tolerations: [{ key: 'cni.istio.io/not-ready', operator: 'Exists' }],
            containers: [
              {
                name: 'discovery',
                image: `${HUB}/pilot:${ISTIO_VERSION}`,
                args: [
                  'discovery',
                  '--monitoringAddr=:15014',
                  '--log_output_level=default:info',
                  '--domain',
                  'cluster.local',
                  '--keepaliveMaxServerConnectionAge',
                  '30m',
                ],
                ports: [
                  { containerPort: 8080, name: 'http-debug', protocol: 'TCP' },
                  { containerPort: 15010, name: 'grpc-xds', protocol: 'TCP' },
                  { containerPort: 15012, name: 'tls-xds', protocol: 'TCP' },
                  { containerPort: 15017, name: 'https-webhooks', protocol: 'TCP' },
                  { containerPort: 15014, name: 'http-monitoring', protocol: 'TCP' },
                ],
                readinessProbe: {
                  httpGet: { path: '/ready', port: 8080 },
                  initialDelaySeconds: 1,
                  periodSeconds: 3,
                  timeoutSeconds: 5,
                },
                env: [
                  { name: 'REVISION', value: 'default' },
                  { name: 'PILOT_CERT_PROVIDER', value: 'istiod' },
                  fieldRef('POD_NAME', 'metadata.name'),
                  fieldRef('POD_NAMESPACE', 'metadata.namespace'),
                  fieldRef('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
                  { name: 'KUBECONFIG', value: '/var/run/secrets/remote/config' },
                  { name: 'PILOT_TRACE_SAMPLING', value: '1' },
                  { name: 'PILOT_ENABLE_ANALYSIS', value: 'false' },
                  { name: 'CLUSTER_ID', value: 'Kubernetes' },
                  {
                    name: 'GOMEMLIMIT',
                    valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '0' } },
                  },
                  {
                    name: 'GOMAXPROCS',
                    valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '0' } },
                  },
                  { name: 'PLATFORM', value: '' },
                ],
                resources: { requests: { cpu: '500m', memory: '2048Mi' } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  runAsUser: 1337,
                  runAsGroup: 1337,
                  runAsNonRoot: true,
                  capabilities: { drop: ['ALL'] },
                },
                volumeMounts: [
                  { name: 'istio-token', mountPath: '/var/run/secrets/tokens', readOnly: true },
                  { name: 'local-certs', mountPath: '/var/run/secrets/istio-dns' },
                  { name: 'cacerts', mountPath: '/etc/cacerts', readOnly: true },
                  {
                    name: 'istio-kubeconfig',
                    mountPath: '/var/run/secrets/remote',
                    readOnly: true,
                  },
                ],
              },
            ],
            volumes: [
              { name: 'local-certs', emptyDir: { medium: 'Memory' } },
              {
                name: 'istio-token',
                projected: {
                  sources: [
                    {
                      serviceAccountToken: {
                        audience: 'istio-ca',
                        expirationSeconds: 43200,
                        path: 'istio-token',
                      },
                    },
                  ],
                },
              },
              { name: 'cacerts', secret: { secretName: 'cacerts', optional: true } },
              {
                name: 'istio-kubeconfig',
                secret: { secretName: 'istio-kubeconfig', optional: true },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'istiod',
        namespace: ns,
        labels: { app: 'istiod', istio: 'pilot', 'istio.io/rev': 'default', release: 'istio' },
      },
      spec: {
        selector: { app: 'istiod', istio: 'pilot' },
        ports: [
          { port: 15010, name: 'grpc-xds', protocol: 'TCP' },
          { port: 15012, name: 'https-dns', protocol: 'TCP' },
          { port: 443, name: 'https-webhook', targetPort: 15017, protocol: 'TCP' },
          { port: 15014, name: 'http-monitoring', protocol: 'TCP' },
        ],
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: {
        name: 'istio-sidecar-injector',
        labels: { app: 'sidecar-injector', 'istio.io/rev': 'default', release: 'istio' },
      },
      webhooks: [
        injectorWebhook(
          'rev.namespace.sidecar-injector.istio.io',
          {
            matchExpressions: [
              { key: 'istio.io/rev', operator: 'In', values: ['default'] },
              { key: 'istio-injection', operator: 'DoesNotExist' },
            ],
          },
          {
            matchExpressions: [
              { key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] },
            ],
          },
        ),
        injectorWebhook(
          'namespace.sidecar-injector.istio.io',
          { matchExpressions: [{ key: 'istio-injection', operator: 'In', values: ['enabled'] }] },
          {
            matchExpressions: [
              { key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] },
            ],
          },
        ),
      ],
    },
  ];
}

function injectorWebhook(name: string, namespaceSelector: unknown, objectSelector: unknown) {
  return {
    name,
    clientConfig: {
      service: { name: 'istiod', namespace: 'istio-system', path: '/inject', port: 443 },
      caBundle: '',
    },
    rules: [
      {
        operations: ['CREATE'],
        apiGroups: [''],
        apiVersions: ['v1'],
        resources: ['pods'],
        scope: '*',
      },
    ],
    failurePolicy: 'Fail',
    matchPolicy: 'Equivalent',
    sideEffects: 'None',
    reinvocationPolicy: 'Never',
    admissionReviewVersions: ['v1beta1', 'v1'],
    timeoutSeconds: 10,
    namespaceSelector,
    objectSelector,
  };
}

function ingressGateway(): KubeObject[] {
  const ns = 'istio-system';
  const labels = {
    app: 'istio-ingressgateway',
    istio: 'ingressgateway',
    'istio.io/rev': 'default',
    release: 'istio',
  };
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'istio-ingressgateway-service-account', namespace: ns, labels },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'istio-ingressgateway', namespace: ns, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'istio-ingressgateway', istio: 'ingressgateway' } },
        template: {
          metadata: {
            labels: {
              ...labels,
              'sidecar.istio.io/inject': 'false',
              'service.istio.io/canonical-name': 'istio-ingressgateway',
            },
            annotations: {
              'prometheus.io/port': '15020',
              'prometheus.io/scrape': 'true',
              'prometheus.io/path': '/stats/prometheus',
            },
          },
          spec: {
            serviceAccountName: 'istio-ingressgateway-service-account',
            containers: [
              {
                name: 'istio-proxy',
                image: `${HUB}/proxyv2:${ISTIO_VERSION}`,
                args: [
                  'proxy',
                  'router',
                  '--domain',
                  '$(POD_NAMESPACE).svc.cluster.local',
                  '--proxyLogLevel=warning',
                  '--proxyComponentLogLevel=misc:error',
                  '--log_output_level=default:info',
                ],
                ports: [
                  { containerPort: 15021, name: 'status-port', protocol: 'TCP' },
                  { containerPort: 8080, name: 'http2', protocol: 'TCP' },
                  { containerPort: 8443, name: 'https', protocol: 'TCP' },
                  { containerPort: 15090, name: 'http-envoy-prom', protocol: 'TCP' },
                ],
                readinessProbe: {
                  httpGet: { path: '/healthz/ready', port: 15021 },
                  periodSeconds: 2,
                  failureThreshold: 30,
                },
                resources: {
                  requests: { cpu: '100m', memory: '128Mi' },
                  limits: { cpu: '2000m', memory: '1024Mi' },
                },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'istio-ingressgateway', namespace: ns, labels },
      spec: {
        type: 'LoadBalancer',
        selector: { app: 'istio-ingressgateway', istio: 'ingressgateway' },
        ports: [
          { name: 'status-port', port: 15021, targetPort: 15021, protocol: 'TCP' },
          { name: 'http2', port: 80, targetPort: 8080, protocol: 'TCP' },
          { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' },
        ],
      },
    },
  ];
}

/** The meshed application namespaces: one service each, with its own service account. */
/** istiod publishes its root certificate to every namespace as this ConfigMap. */
function rootCertConfigMap(namespace: string, pki: MeshCertificates): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'istio-ca-root-cert', namespace, labels: { 'istio.io/config': 'true' } },
    data: { 'root-cert.pem': pki.root.cert },
  };
}

function applications(pki: MeshCertificates): KubeObject[] {
  const apps = [
    { ns: 'payments', name: 'payments-api', port: 8080 },
    { ns: 'orders', name: 'orders-api', port: 8080 },
    { ns: 'frontend', name: 'frontend-web', port: 8080 },
  ];
  return apps.flatMap(({ ns, name, port }): KubeObject[] => {
    const labels = { app: name, version: 'v1' };
    return [
      rootCertConfigMap(ns, pki),
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns } },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace: ns, labels: { app: name } },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: name,
              containers: [
                {
                  name,
                  image: `registry.example.com/shop/${name}:2.4.1`,
                  ports: [{ containerPort: port, name: 'http' }],
                  resources: {
                    requests: { cpu: '100m', memory: '128Mi' },
                    limits: { memory: '256Mi' },
                  },
                },
              ],
            },
          },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: ns, labels: { app: name } },
        spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: port }] },
      },
    ];
  });
}
