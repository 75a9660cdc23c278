/**
 * The structural schemas of the Istio CRDs the lab serves, transcribed from istio/api
 * kubernetes/customresourcedefinitions.gen.yaml (v1, v1beta1 and v1alpha3 share them). One line per
 * field; `rules` are the CRDs' x-kubernetes-validations.
 */
import {
  any,
  arr,
  bool,
  enumOf,
  int,
  map,
  num,
  obj,
  onlyOne,
  str,
  strs,
  uint32,
  type Rule,
  type Schema,
} from './schema.js';

const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1e3,
  m: 6e4,
  h: 3.6e6,
};

/** Go's time.ParseDuration (which CEL's duration() uses), in milliseconds. */
export function parseGoDuration(text: string): number | undefined {
  const m = /^([-+]?)(.*)$/.exec(text);
  const body = m?.[2] ?? '';
  if (body === '0') return 0;
  const term = /([0-9]*(?:\.[0-9]*)?)([a-zµμ]+)/gy;
  let total = 0;
  let pos = 0;
  for (let t = term.exec(body); t; t = term.exec(body)) {
    const [, amount = '', unit = ''] = t;
    const factor = UNITS[unit];
    if (!/[0-9]/.test(amount) || factor === undefined) return undefined;
    total += Number(amount) * factor;
    pos = term.lastIndex;
  }
  if (body === '' || pos !== body.length) return undefined;
  return m?.[1] === '-' ? -total : total;
}

const durationRule: Rule = {
  message: 'must be a valid duration greater than 1ms',
  test: (v: string) => {
    const ms = parseGoDuration(v);
    return ms === undefined
      ? "type conversion error from 'string' to 'google.protobuf.Duration'"
      : ms >= 1;
  },
};
const duration = str({ rules: [durationRule] });

// ---- shared by several kinds ----
const workloadSelector = obj({
  matchLabels: map(
    str({
      maxLength: 63,
      rules: [
        {
          message: 'wildcard not allowed in label value match',
          test: (v: string) => !v.includes('*'),
        },
      ],
    }),
    {
      maxProperties: 4096,
      rules: [
        {
          message: 'wildcard not allowed in label key match',
          test: (v: object) => Object.keys(v).every((k) => !k.includes('*')),
        },
        {
          message: 'key must not be empty',
          test: (v: object) => Object.keys(v).every((k) => k.length !== 0),
        },
      ],
    },
  ),
});
const policyTargetRef = obj(
  {
    group: str({
      maxLength: 253,
      pattern: '^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
    }),
    kind: str({ maxLength: 63, minLength: 1, pattern: '^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$' }),
    name: str({ maxLength: 253, minLength: 1 }),
    namespace: str({
      rules: [
        {
          message: 'cross namespace referencing is not currently supported',
          test: (v: string) => v.length === 0,
        },
      ],
    }),
  },
  { required: ['kind', 'name'] },
);
const percent = obj({ value: num() });
const portSelector = obj({ number: uint32 });
const destination = obj({ host: str(), port: portSelector, subset: str() }, { required: ['host'] });
const stringMatch = obj(
  { exact: str(), prefix: str(), regex: str() },
  { atMostOne: [['exact', 'prefix', 'regex']] },
);
const headerOps = obj({ add: map(str()), remove: strs(), set: map(str()) });
const headers = obj({ request: headerOps, response: headerOps });

// ---- security.istio.io AuthorizationPolicy ----
const serviceAccounts = arr(str({ maxLength: 320 }), { maxItems: 16 });
const source = obj(
  {
    ipBlocks: strs(),
    namespaces: strs(),
    notIpBlocks: strs(),
    notNamespaces: strs(),
    notPrincipals: strs(),
    notRemoteIpBlocks: strs(),
    notRequestPrincipals: strs(),
    notServiceAccounts: serviceAccounts,
    principals: strs(),
    remoteIpBlocks: strs(),
    requestPrincipals: strs(),
    serviceAccounts,
  },
  {
    rules: [
      {
        message: 'Cannot set serviceAccounts with namespaces or principals',
        test: (v: Record<string, unknown>) =>
          !(v.serviceAccounts !== undefined || v.notServiceAccounts !== undefined) ||
          ['principals', 'notPrincipals', 'namespaces', 'notNamespaces'].every(
            (k) => v[k] === undefined,
          ),
      },
    ],
  },
);
const operation = obj({
  hosts: strs(),
  methods: strs(),
  notHosts: strs(),
  notMethods: strs(),
  notPaths: strs(),
  notPorts: strs(),
  paths: strs(),
  ports: strs(),
});
const authzRule = obj({
  from: arr(obj({ source }), { maxItems: 512 }),
  to: arr(obj({ operation })),
  when: arr(obj({ key: str(), notValues: strs(), values: strs() }, { required: ['key'] })),
});
export const AUTHORIZATION_POLICY = obj(
  {
    action: enumOf('ALLOW', 'DENY', 'AUDIT', 'CUSTOM'),
    provider: obj({ name: str() }),
    rules: arr(authzRule, { maxItems: 512 }),
    selector: workloadSelector,
    targetRef: policyTargetRef,
    targetRefs: arr(policyTargetRef, { maxItems: 16 }),
  },
  {
    rules: [
      onlyOne(
        'only one of targetRefs or selector can be set',
        'selector',
        'targetRef',
        'targetRefs',
      ),
    ],
  },
);

// ---- networking.istio.io Gateway ----
const tlsVersion = enumOf('TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3');
const serverTLS = obj(
  {
    caCertCredentialName: str(),
    caCertificates: str(),
    caCrl: str(),
    cipherSuites: strs(),
    credentialName: str(),
    credentialNames: arr(str(), { maxItems: 2, minItems: 1 }),
    httpsRedirect: bool,
    maxProtocolVersion: tlsVersion,
    minProtocolVersion: tlsVersion,
    mode: enumOf(
      'PASSTHROUGH',
      'SIMPLE',
      'MUTUAL',
      'AUTO_PASSTHROUGH',
      'ISTIO_MUTUAL',
      'OPTIONAL_MUTUAL',
    ),
    privateKey: str(),
    serverCertificate: str(),
    subjectAltNames: strs(),
    tlsCertificates: arr(
      obj({ caCertificates: str(), privateKey: str(), serverCertificate: str() }),
      { maxItems: 2, minItems: 1 },
    ),
    verifyCertificateHash: strs(),
    verifyCertificateSpki: strs(),
  },
  {
    // The third rule's CEL really tests credentialNames + tlsCertificates (an upstream slip).
    rules: [
      onlyOne(
        'only one of credentialNames or tlsCertificates can be set',
        'tlsCertificates',
        'credentialNames',
      ),
      onlyOne(
        'only one of credentialName or credentialNames can be set',
        'credentialName',
        'credentialNames',
      ),
      onlyOne(
        'only one of credentialName or tlsCertificates can be set',
        'credentialNames',
        'tlsCertificates',
      ),
    ],
  },
);
const server = obj(
  {
    bind: str(),
    defaultEndpoint: str(),
    hosts: strs(),
    name: str(),
    port: obj(
      { name: str(), number: uint32, protocol: str(), targetPort: uint32 },
      { required: ['number', 'protocol', 'name'] },
    ),
    tls: serverTLS,
  },
  { required: ['port', 'hosts'] },
);
export const GATEWAY = obj({ selector: map(str()), servers: arr(server) });

// ---- networking.istio.io VirtualService ----
const httpMatch = obj({
  authority: stringMatch,
  gateways: strs(),
  headers: map(stringMatch),
  ignoreUriCase: bool,
  method: stringMatch,
  name: str(),
  port: uint32,
  queryParams: map(stringMatch),
  scheme: stringMatch,
  sourceLabels: map(str()),
  sourceNamespace: str(),
  statPrefix: str(),
  uri: stringMatch,
  withoutHeaders: map(stringMatch),
});
const httpRoute = obj({
  corsPolicy: obj({
    allowCredentials: bool,
    allowHeaders: strs(),
    allowMethods: strs(),
    allowOrigin: strs(),
    allowOrigins: arr(stringMatch),
    exposeHeaders: strs(),
    maxAge: duration,
    unmatchedPreflights: enumOf('UNSPECIFIED', 'FORWARD', 'IGNORE'),
  }),
  delegate: obj({ name: str(), namespace: str() }),
  directResponse: obj(
    {
      body: obj({ bytes: str(), string: str() }, { atMostOne: [['string', 'bytes']] }),
      status: uint32,
    },
    { required: ['status'] },
  ),
  fault: obj({
    abort: obj(
      { grpcStatus: str(), http2Error: str(), httpStatus: int(), percentage: percent },
      { atMostOne: [['httpStatus', 'grpcStatus', 'http2Error']] },
    ),
    delay: obj(
      { exponentialDelay: duration, fixedDelay: duration, percent: int(), percentage: percent },
      { atMostOne: [['fixedDelay', 'exponentialDelay']] },
    ),
  }),
  headers,
  match: arr(httpMatch),
  mirror: destination,
  mirror_percent: uint32,
  mirrorPercent: uint32,
  mirrorPercentage: percent,
  mirrors: arr(obj({ destination, percentage: percent }, { required: ['destination'] })),
  name: str(),
  redirect: obj(
    {
      authority: str(),
      derivePort: enumOf('FROM_PROTOCOL_DEFAULT', 'FROM_REQUEST_PORT'),
      port: uint32,
      redirectCode: uint32,
      scheme: str(),
      uri: str(),
    },
    { atMostOne: [['port', 'derivePort']] },
  ),
  retries: obj({
    attempts: int(),
    backoff: duration,
    perTryTimeout: duration,
    retryIgnorePreviousHosts: bool,
    retryOn: str(),
    retryRemoteLocalities: bool,
  }),
  rewrite: obj({
    authority: str(),
    uri: str(),
    uriRegexRewrite: obj({ match: str(), rewrite: str() }),
  }),
  route: arr(obj({ destination, headers, weight: int() }, { required: ['destination'] })),
  timeout: duration,
});
const routeDestination = obj({ destination, weight: int() }, { required: ['destination'] });
const l4Match = {
  destinationSubnets: strs(),
  gateways: strs(),
  port: uint32,
  sourceLabels: map(str()),
  sourceNamespace: str(),
};
export const VIRTUAL_SERVICE = obj({
  exportTo: strs(),
  gateways: strs(),
  hosts: strs(),
  http: arr(httpRoute),
  tcp: arr(
    obj({ match: arr(obj({ ...l4Match, sourceSubnet: str() })), route: arr(routeDestination) }),
  ),
  tls: arr(
    obj(
      {
        match: arr(obj({ ...l4Match, sniHosts: strs() }, { required: ['sniHosts'] })),
        route: arr(routeDestination),
      },
      { required: ['match'] },
    ),
  ),
});

// ---- networking.istio.io DestinationRule ----
const connectionPool = obj({
  http: obj({
    h2UpgradePolicy: enumOf('DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE'),
    http1MaxPendingRequests: int(),
    http2MaxRequests: int(),
    idleTimeout: duration,
    maxConcurrentStreams: int(),
    maxRequestsPerConnection: int(),
    maxRetries: int(),
    useClientProtocol: bool,
  }),
  tcp: obj({
    connectTimeout: duration,
    idleTimeout: str(),
    maxConnectionDuration: duration,
    maxConnections: int(),
    tcpKeepalive: obj({ interval: duration, probes: uint32, time: duration }),
  }),
});
const loadBalancer = obj(
  {
    consistentHash: obj(
      {
        httpCookie: obj(
          {
            attributes: arr(obj({ name: str(), value: str() }, { required: ['name'] })),
            name: str(),
            path: str(),
            ttl: str(),
          },
          { required: ['name'] },
        ),
        httpHeaderName: str(),
        httpQueryParameterName: str(),
        maglev: obj({ tableSize: int({ minimum: 0 }) }),
        minimumRingSize: int({ minimum: 0 }),
        ringHash: obj({ minimumRingSize: int({ minimum: 0 }) }),
        useSourceIp: bool,
      },
      {
        atMostOne: [
          ['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'],
          ['ringHash', 'maglev'],
        ],
      },
    ),
    localityLbSetting: obj({
      distribute: arr(obj({ from: str(), to: map(uint32) })),
      enabled: bool,
      failover: arr(obj({ from: str(), to: str() })),
      failoverPriority: strs(),
    }),
    simple: enumOf(
      'UNSPECIFIED',
      'LEAST_CONN',
      'RANDOM',
      'PASSTHROUGH',
      'ROUND_ROBIN',
      'LEAST_REQUEST',
    ),
    warmup: obj(
      {
        aggression: num({ minimum: 0 }),
        duration,
        minimumPercent: num({ minimum: 0, maximum: 100 }),
      },
      { required: ['duration'] },
    ),
    warmupDurationSecs: duration,
  },
  { atMostOne: [['simple', 'consistentHash']] },
);
const outlierDetection = obj({
  baseEjectionTime: duration,
  consecutive5xxErrors: uint32,
  consecutiveErrors: int(),
  consecutiveGatewayErrors: uint32,
  consecutiveLocalOriginFailures: uint32,
  interval: duration,
  maxEjectionPercent: int(),
  minHealthPercent: int(),
  splitExternalLocalOriginErrors: bool,
});
const clientTLS = obj({
  caCertificates: str(),
  caCrl: str(),
  clientCertificate: str(),
  credentialName: str(),
  insecureSkipVerify: bool,
  mode: enumOf('DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'),
  privateKey: str(),
  sni: str(),
  subjectAltNames: strs(),
});
const portTrafficPolicy = obj({
  connectionPool,
  loadBalancer,
  outlierDetection,
  port: portSelector,
  tls: clientTLS,
});
const trafficPolicy = obj({
  connectionPool,
  loadBalancer,
  outlierDetection,
  portLevelSettings: arr(portTrafficPolicy, { maxItems: 4096 }),
  proxyProtocol: obj({ version: enumOf('V1', 'V2') }),
  retryBudget: obj({ minRetryConcurrency: uint32, percent: num({ minimum: 0, maximum: 100 }) }),
  tls: clientTLS,
  tunnel: obj(
    { protocol: str(), targetHost: str(), targetPort: uint32 },
    { required: ['targetHost', 'targetPort'] },
  ),
});
export const DESTINATION_RULE = obj(
  {
    exportTo: strs(),
    host: str(),
    subsets: arr(obj({ labels: map(str()), name: str(), trafficPolicy }, { required: ['name'] })),
    trafficPolicy,
    workloadSelector: workloadSelector,
  },
  { required: ['host'] },
);

/** The whole custom resource: spec per kind, status free-form (none of these CRDs require spec). */
export const resourceSchema = (spec: Schema): Schema =>
  obj({ apiVersion: str(), kind: str(), metadata: any, spec, status: any });
