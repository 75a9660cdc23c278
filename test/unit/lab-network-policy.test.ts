import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../lab/apiserver/types.js';
import {
  ingressAllowed,
  ipInCidr,
  policiesIsolating,
  type IngressTarget,
  type Peer,
} from '../../lab/mesh/network-policy.js';

function netpol(name: string, namespace: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace },
    spec,
  };
}

function namespace(name: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    // The lab's API server adds kubernetes.io/metadata.name; the model must not rely on it.
    metadata: { name, labels },
  };
}

const NAMESPACES = [
  namespace('payments', { team: 'payments', 'istio-injection': 'enabled' }),
  namespace('orders', { team: 'orders', 'istio-injection': 'enabled' }),
  namespace('istio-system', { 'kubernetes.io/metadata.name': 'istio-system' }),
  namespace('monitoring', { team: 'platform' }),
];

const ISTIOD: IngressTarget = {
  namespace: 'istio-system',
  labels: { app: 'istiod', istio: 'pilot' },
  ports: [
    { name: 'grpc-xds', containerPort: 15010, protocol: 'TCP' },
    { name: 'https-dns', containerPort: 15012 },
    { name: 'https-webhook', containerPort: 15017, protocol: 'TCP' },
    { name: 'http-monitoring', containerPort: 15014 },
    { name: 'dns-udp', containerPort: 15053, protocol: 'UDP' },
  ],
};

const PAYMENTS_POD: Peer = { namespace: 'payments', labels: { app: 'payments-api' } };
const ISTIO_SYSTEM_POD: Peer = {
  namespace: 'istio-system',
  labels: { app: 'istio-ingressgateway' },
};

const tcp = (port: number) => ({ port });

describe('ingressAllowed: the catalogue cases', () => {
  const onlyXdsAndWebhook = netpol('istiod-restrict', 'istio-system', {
    podSelector: { matchLabels: { app: 'istiod' } },
    policyTypes: ['Ingress'],
    ingress: [{ ports: [{ port: 15010 }, { port: 15017 }] }],
  });
  const allow15012 = netpol('istiod-xds-tls', 'istio-system', {
    podSelector: { matchLabels: { app: 'istiod' } },
    ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 15012, protocol: 'TCP' }] }],
  });

  it('a policy allowing only 15010 and 15017 denies 15012 from a pod in payments', () => {
    expect(ingressAllowed([onlyXdsAndWebhook], NAMESPACES, ISTIOD, tcp(15012), PAYMENTS_POD)).toBe(
      false,
    );
    expect(ingressAllowed([onlyXdsAndWebhook], NAMESPACES, ISTIOD, tcp(15010), PAYMENTS_POD)).toBe(
      true,
    );
    expect(ingressAllowed([onlyXdsAndWebhook], NAMESPACES, ISTIOD, tcp(15017), PAYMENTS_POD)).toBe(
      true,
    );
  });

  it('a second policy allowing 15012 from all namespaces restores it (union)', () => {
    const policies = [onlyXdsAndWebhook, allow15012];
    expect(ingressAllowed(policies, NAMESPACES, ISTIOD, tcp(15012), PAYMENTS_POD)).toBe(true);
    // Still isolated: ports neither policy allows stay closed.
    expect(ingressAllowed(policies, NAMESPACES, ISTIOD, tcp(15014), PAYMENTS_POD)).toBe(false);
  });

  it('a policy with policyTypes [Egress] only does not isolate ingress', () => {
    const egressOnly = netpol('istiod-egress', 'istio-system', {
      podSelector: { matchLabels: { app: 'istiod' } },
      policyTypes: ['Egress'],
      egress: [],
    });
    expect(policiesIsolating([egressOnly], ISTIOD)).toEqual([]);
    expect(ingressAllowed([egressOnly], NAMESPACES, ISTIOD, tcp(15012), PAYMENTS_POD)).toBe(true);
  });
});

describe('policiesIsolating', () => {
  const target: IngressTarget = {
    namespace: 'payments',
    labels: { app: 'payments-api', tier: 'backend' },
  };
  type Case = [name: string, policy: KubeObject, isolates: boolean];
  const cases: Case[] = [
    ['podSelector {} selects every pod', netpol('p', 'payments', { podSelector: {} }), true],
    ['podSelector absent is {} (a non-pointer field)', netpol('p', 'payments', {}), true],
    [
      'matchLabels matching',
      netpol('p', 'payments', { podSelector: { matchLabels: { app: 'payments-api' } } }),
      true,
    ],
    [
      'matchLabels not matching',
      netpol('p', 'payments', { podSelector: { matchLabels: { app: 'ledger' } } }),
      false,
    ],
    [
      'matchLabels and matchExpressions are ANDed',
      netpol('p', 'payments', {
        podSelector: {
          matchLabels: { app: 'payments-api' },
          matchExpressions: [{ key: 'tier', operator: 'In', values: ['frontend'] }],
        },
      }),
      false,
    ],
    [
      'matchExpressions In',
      netpol('p', 'payments', {
        podSelector: {
          matchExpressions: [{ key: 'tier', operator: 'In', values: ['frontend', 'backend'] }],
        },
      }),
      true,
    ],
    [
      'matchExpressions NotIn',
      netpol('p', 'payments', {
        podSelector: {
          matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['backend'] }],
        },
      }),
      false,
    ],
    [
      'matchExpressions NotIn on a missing label',
      netpol('p', 'payments', {
        podSelector: { matchExpressions: [{ key: 'canary', operator: 'NotIn', values: ['true'] }] },
      }),
      true,
    ],
    [
      'matchExpressions Exists',
      netpol('p', 'payments', {
        podSelector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
      }),
      true,
    ],
    [
      'matchExpressions DoesNotExist',
      netpol('p', 'payments', {
        podSelector: { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] },
      }),
      false,
    ],
    [
      'an invalid selector selects nothing',
      netpol('p', 'payments', {
        podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: [] }] },
      }),
      false,
    ],
    ['a policy of another namespace', netpol('p', 'orders', { podSelector: {} }), false],
    [
      'policyTypes absent with egress rules: Ingress and Egress',
      netpol('p', 'payments', { podSelector: {}, egress: [{}] }),
      true,
    ],
    [
      'policyTypes [Egress]',
      netpol('p', 'payments', { podSelector: {}, policyTypes: ['Egress'] }),
      false,
    ],
    [
      'policyTypes [Ingress, Egress]',
      netpol('p', 'payments', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
      true,
    ],
    [
      'another kind',
      { ...netpol('p', 'payments', { podSelector: {} }), kind: 'AuthorizationPolicy' },
      false,
    ],
  ];

  it.each(cases)('%s', (_name, policy, isolates) => {
    expect(policiesIsolating([policy], target)).toEqual(isolates ? [policy] : []);
  });

  it('returns every isolating policy, in input order', () => {
    const a = netpol('a', 'payments', { podSelector: {} });
    const b = netpol('b', 'payments', { podSelector: { matchLabels: { app: 'x' } } });
    const c = netpol('c', 'payments', { podSelector: { matchLabels: { tier: 'backend' } } });
    expect(policiesIsolating([a, b, c], target)).toEqual([a, c]);
  });
});

describe('ingressAllowed: peers', () => {
  const target: IngressTarget = { namespace: 'payments', labels: { app: 'payments-api' } };
  const withFrom = (from: unknown[] | undefined) =>
    netpol('p', 'payments', { podSelector: {}, ingress: [from === undefined ? {} : { from }] });
  const ordersApi: Peer = { namespace: 'orders', labels: { app: 'orders-api' } };
  const paymentsWorker: Peer = { namespace: 'payments', labels: { app: 'worker' } };
  const unknownNs: Peer = { namespace: 'scratch', labels: { app: 'orders-api' } };
  const external: Peer = { external: true, ip: '203.0.113.7' };
  const external6: Peer = { external: true, ip: '2001:db8::7' };

  type Case = [name: string, from: unknown[] | undefined, peer: Peer, allowed: boolean];
  const cases: Case[] = [
    ['from absent: any pod', undefined, ordersApi, true],
    ['from absent: external too', undefined, external, true],
    ['from []: any peer', [], external, true],
    [
      'podSelector alone: pod in the policy namespace',
      [{ podSelector: { matchLabels: { app: 'worker' } } }],
      paymentsWorker,
      true,
    ],
    [
      'podSelector alone: same labels in another namespace',
      [{ podSelector: { matchLabels: { app: 'orders-api' } } }],
      ordersApi,
      false,
    ],
    [
      'podSelector {}: every pod of the policy namespace',
      [{ podSelector: {} }],
      paymentsWorker,
      true,
    ],
    ['podSelector {}: not other namespaces', [{ podSelector: {} }], ordersApi, false],
    [
      'namespaceSelector by label',
      [{ namespaceSelector: { matchLabels: { team: 'orders' } } }],
      ordersApi,
      true,
    ],
    [
      'namespaceSelector not matching',
      [{ namespaceSelector: { matchLabels: { team: 'platform' } } }],
      ordersApi,
      false,
    ],
    [
      'namespaceSelector on kubernetes.io/metadata.name (added automatically)',
      [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'orders' } } }],
      ordersApi,
      true,
    ],
    [
      'namespace without a Namespace object still has its name label',
      [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'scratch' } } }],
      unknownNs,
      true,
    ],
    [
      'namespace without a Namespace object has no other labels',
      [{ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'Exists' }] } }],
      unknownNs,
      false,
    ],
    ['namespaceSelector {}: every namespace', [{ namespaceSelector: {} }], unknownNs, true],
    [
      'namespaceSelector with matchExpressions',
      [
        {
          namespaceSelector: {
            matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['payments'] }],
          },
        },
      ],
      ordersApi,
      true,
    ],
    [
      'both selectors: pod and namespace match',
      [
        {
          namespaceSelector: { matchLabels: { team: 'orders' } },
          podSelector: { matchLabels: { app: 'orders-api' } },
        },
      ],
      ordersApi,
      true,
    ],
    [
      'both selectors: namespace matches, pod does not',
      [
        {
          namespaceSelector: { matchLabels: { team: 'orders' } },
          podSelector: { matchLabels: { app: 'x' } },
        },
      ],
      ordersApi,
      false,
    ],
    [
      'both selectors: pod matches, namespace does not',
      [
        {
          namespaceSelector: { matchLabels: { team: 'payments' } },
          podSelector: { matchLabels: { app: 'orders-api' } },
        },
      ],
      ordersApi,
      false,
    ],
    [
      'separate entries are ORed',
      [
        { podSelector: { matchLabels: { app: 'worker' } } },
        { namespaceSelector: { matchLabels: { team: 'orders' } } },
      ],
      ordersApi,
      true,
    ],
    ['ipBlock: external address inside', [{ ipBlock: { cidr: '203.0.113.0/24' } }], external, true],
    [
      'ipBlock: external address outside',
      [{ ipBlock: { cidr: '198.51.100.0/24' } }],
      external,
      false,
    ],
    [
      'ipBlock: excepted',
      [{ ipBlock: { cidr: '203.0.113.0/24', except: ['203.0.113.0/28'] } }],
      external,
      false,
    ],
    [
      'ipBlock: outside the except',
      [{ ipBlock: { cidr: '203.0.113.0/24', except: ['203.0.113.128/25'] } }],
      external,
      true,
    ],
    ['ipBlock: 0.0.0.0/0', [{ ipBlock: { cidr: '0.0.0.0/0' } }], external, true],
    ['ipBlock: IPv6', [{ ipBlock: { cidr: '2001:db8::/32' } }], external6, true],
    [
      'ipBlock: IPv6 except',
      [{ ipBlock: { cidr: '2001:db8::/32', except: ['2001:db8::/64'] } }],
      external6,
      false,
    ],
    ['ipBlock: IPv4 block, IPv6 peer', [{ ipBlock: { cidr: '0.0.0.0/0' } }], external6, false],
    ['ipBlock: invalid CIDR', [{ ipBlock: { cidr: '203.0.113.7' } }], external, false],
    ['ipBlock: pod peers never match', [{ ipBlock: { cidr: '0.0.0.0/0' } }], ordersApi, false],
    [
      'selectors: external peers never match',
      [{ namespaceSelector: {} }, { podSelector: {} }],
      external,
      false,
    ],
    [
      'ipBlock: not even pods of the policy namespace',
      [{ ipBlock: { cidr: '0.0.0.0/0' } }],
      paymentsWorker,
      false,
    ],
    ['an empty peer selects nothing', [{}], paymentsWorker, false],
    ['an empty peer selects no external peer', [{}], external, false],
  ];

  it.each(cases)('%s', (_name, from, peer, allowed) => {
    expect(ingressAllowed([withFrom(from)], NAMESPACES, target, tcp(8080), peer)).toBe(allowed);
  });
});

describe('ingressAllowed: ports', () => {
  const withPorts = (ports: unknown[] | undefined) =>
    netpol('p', 'istio-system', {
      podSelector: { matchLabels: { app: 'istiod' } },
      ingress: [ports === undefined ? {} : { ports }],
    });

  type Case = [
    name: string,
    ports: unknown[] | undefined,
    request: { port: number; protocol?: 'TCP' | 'UDP' | 'SCTP' },
    allowed: boolean,
  ];
  const cases: Case[] = [
    ['ports absent: every port', undefined, { port: 15014 }, true],
    ['ports absent: every protocol', undefined, { port: 15053, protocol: 'UDP' }, true],
    ['ports []: every port', [], { port: 1 }, true],
    ['number', [{ port: 15012 }], { port: 15012 }, true],
    ['number miss', [{ port: 15012 }], { port: 15013 }, false],
    ['protocol defaults to TCP', [{ port: 15053 }], { port: 15053, protocol: 'UDP' }, false],
    ['request protocol defaults to TCP', [{ port: 15012, protocol: 'TCP' }], { port: 15012 }, true],
    ['explicit UDP', [{ port: 15053, protocol: 'UDP' }], { port: 15053, protocol: 'UDP' }, true],
    ['explicit UDP vs TCP request', [{ port: 15053, protocol: 'UDP' }], { port: 15053 }, false],
    ['SCTP', [{ port: 9000, protocol: 'SCTP' }], { port: 9000, protocol: 'SCTP' }, true],
    [
      'protocol only: every port of it',
      [{ protocol: 'UDP' }],
      { port: 15053, protocol: 'UDP' },
      true,
    ],
    ['protocol only: not other protocols', [{ protocol: 'UDP' }], { port: 15012 }, false],
    ['named port', [{ port: 'grpc-xds' }], { port: 15010 }, true],
    ['named port, other port', [{ port: 'grpc-xds' }], { port: 15012 }, false],
    [
      'named port without protocol on the container (TCP)',
      [{ port: 'https-dns' }],
      { port: 15012 },
      true,
    ],
    ['named port the pod does not have', [{ port: 'grpc' }], { port: 15010 }, false],
    ['named port of another protocol', [{ port: 'dns-udp' }], { port: 15053 }, false],
    [
      'named UDP port',
      [{ port: 'dns-udp', protocol: 'UDP' }],
      { port: 15053, protocol: 'UDP' },
      true,
    ],
    ['endPort: start', [{ port: 15010, endPort: 15017 }], { port: 15010 }, true],
    ['endPort: inside', [{ port: 15010, endPort: 15017 }], { port: 15014 }, true],
    ['endPort: end (inclusive)', [{ port: 15010, endPort: 15017 }], { port: 15017 }, true],
    ['endPort: past the end', [{ port: 15010, endPort: 15017 }], { port: 15018 }, false],
    ['endPort: below the start', [{ port: 15010, endPort: 15017 }], { port: 15009 }, false],
    [
      'endPort ignored with a named port',
      [{ port: 'grpc-xds', endPort: 15017 }],
      { port: 15012 },
      false,
    ],
    ['entries are ORed', [{ port: 15010 }, { port: 15012 }], { port: 15012 }, true],
  ];

  it.each(cases)('%s', (_name, ports, request, allowed) => {
    expect(ingressAllowed([withPorts(ports)], NAMESPACES, ISTIOD, request, PAYMENTS_POD)).toBe(
      allowed,
    );
  });
});

describe('ingressAllowed: rules and policies', () => {
  const isolated = { podSelector: { matchLabels: { app: 'istiod' } } };

  it('a pod no policy selects accepts everything', () => {
    const other = netpol('p', 'istio-system', { podSelector: { matchLabels: { app: 'x' } } });
    expect(ingressAllowed([], NAMESPACES, ISTIOD, tcp(1), PAYMENTS_POD)).toBe(true);
    expect(ingressAllowed([other], NAMESPACES, ISTIOD, tcp(1), PAYMENTS_POD)).toBe(true);
  });

  it.each([
    ['ingress absent', { ...isolated }],
    ['ingress []', { ...isolated, ingress: [] }],
    [
      'policyTypes [Ingress] with only egress rules',
      { ...isolated, policyTypes: ['Ingress'], egress: [{}] },
    ],
  ])('%s: isolated, nothing allowed', (_name, spec) => {
    const policy = netpol('deny', 'istio-system', spec);
    expect(ingressAllowed([policy], NAMESPACES, ISTIOD, tcp(15012), ISTIO_SYSTEM_POD)).toBe(false);
  });

  it('ingress [{}] allows everything', () => {
    const policy = netpol('allow', 'istio-system', { ...isolated, ingress: [{}] });
    expect(ingressAllowed([policy], NAMESPACES, ISTIOD, tcp(15012), PAYMENTS_POD)).toBe(true);
    expect(
      ingressAllowed([policy], NAMESPACES, ISTIOD, tcp(15012), { external: true, ip: '192.0.2.1' }),
    ).toBe(true);
  });

  it('a rule needs both its peer and its port to match', () => {
    const policy = netpol('p', 'istio-system', {
      ...isolated,
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { team: 'orders' } } }],
          ports: [{ port: 15012 }],
        },
      ],
    });
    const ordersPod: Peer = { namespace: 'orders', labels: {} };
    expect(ingressAllowed([policy], NAMESPACES, ISTIOD, tcp(15012), ordersPod)).toBe(true);
    expect(ingressAllowed([policy], NAMESPACES, ISTIOD, tcp(15010), ordersPod)).toBe(false);
    expect(ingressAllowed([policy], NAMESPACES, ISTIOD, tcp(15012), PAYMENTS_POD)).toBe(false);
  });

  it('rules of one policy are a union; peer and port never combine across rules', () => {
    const policy = netpol('p', 'istio-system', {
      ...isolated,
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { team: 'orders' } } }],
          ports: [{ port: 15012 }],
        },
        {
          from: [{ namespaceSelector: { matchLabels: { team: 'payments' } } }],
          ports: [{ port: 15010 }],
        },
      ],
    });
    const ordersPod: Peer = { namespace: 'orders', labels: {} };
    expect(ingressAllowed([policy], NAMESPACES, ISTIOD, tcp(15010), PAYMENTS_POD)).toBe(true);
    expect(ingressAllowed([policy], NAMESPACES, ISTIOD, tcp(15012), ordersPod)).toBe(true);
    expect(ingressAllowed([policy], NAMESPACES, ISTIOD, tcp(15012), PAYMENTS_POD)).toBe(false);
    expect(ingressAllowed([policy], NAMESPACES, ISTIOD, tcp(15010), ordersPod)).toBe(false);
  });

  it('a policy selecting another pod adds nothing to the union', () => {
    const denyIstiod = netpol('deny', 'istio-system', isolated);
    const allowGateway = netpol('gw', 'istio-system', {
      podSelector: { matchLabels: { app: 'istio-ingressgateway' } },
      ingress: [{}],
    });
    expect(
      ingressAllowed([denyIstiod, allowGateway], NAMESPACES, ISTIOD, tcp(15012), PAYMENTS_POD),
    ).toBe(false);
  });

  it('an Egress-only policy next to an isolating one changes nothing', () => {
    const allow15012 = netpol('a', 'istio-system', {
      ...isolated,
      ingress: [{ ports: [{ port: 15012 }] }],
    });
    const egressOnly = netpol('e', 'istio-system', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [],
    });
    expect(policiesIsolating([allow15012, egressOnly], ISTIOD)).toEqual([allow15012]);
    expect(
      ingressAllowed([allow15012, egressOnly], NAMESPACES, ISTIOD, tcp(15012), PAYMENTS_POD),
    ).toBe(true);
    expect(
      ingressAllowed([allow15012, egressOnly], NAMESPACES, ISTIOD, tcp(15010), PAYMENTS_POD),
    ).toBe(false);
  });
});

describe('ipInCidr', () => {
  it.each([
    ['10.1.2.3', '10.0.0.0/8', true],
    ['11.0.0.1', '10.0.0.0/8', false],
    ['10.1.2.3', '10.1.2.3/32', true],
    ['10.1.2.4', '10.1.2.3/32', false],
    ['10.9.9.9', '10.1.2.3/8', true],
    ['2001:db8::1', '2001:db8::/32', true],
    ['2001:db9::1', '2001:db8::/32', false],
    ['10.0.0.1', '::/0', false],
    ['::1', '0.0.0.0/0', false],
    ['not-an-ip', '0.0.0.0/0', false],
  ] as const)('%s in %s: %s', (ip, cidr, inside) => {
    expect(ipInCidr(ip, cidr)).toBe(inside);
  });

  it.each([
    '10.0.0.0',
    '10.0.0.0/33',
    '2001:db8::/129',
    '10.0.0/8',
    'x/8',
    '10.0.0.0/-1',
    '10.0.0.0/',
  ])('an invalid CIDR %s is undefined', (cidr) => {
    expect(ipInCidr('10.0.0.1', cidr)).toBeUndefined();
  });
});
