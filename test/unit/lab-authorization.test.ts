import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../lab/apiserver/types.js';
import { evaluateAuthorization, type AuthzRequest } from '../../lab/mesh/authorization.js';

const ORDERS_PRINCIPAL = 'spiffe://cluster.local/ns/orders/sa/orders-api';

function policy(
  name: string,
  spec: Record<string, unknown>,
  options: { namespace?: string; annotations?: Record<string, string>; apiVersion?: string } = {},
): KubeObject {
  return {
    apiVersion: options.apiVersion ?? 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: {
      name,
      namespace: options.namespace ?? 'payments',
      ...(options.annotations !== undefined ? { annotations: options.annotations } : {}),
    },
    spec,
  };
}

const DRY_RUN = { 'istio.io/dry-run': 'true' };

type RequestChanges = Partial<Omit<AuthzRequest, 'source' | 'destination'>> & {
  source?: AuthzRequest['source'];
  destination?: Partial<AuthzRequest['destination']>;
};

function request(changes: RequestChanges = {}): AuthzRequest {
  const { source, destination, ...rest } = changes;
  return {
    destination: {
      namespace: 'payments',
      labels: { app: 'payments-api', version: 'v1' },
      ...destination,
    },
    source: source ?? { principal: ORDERS_PRINCIPAL, namespace: 'orders', ip: '10.8.0.5' },
    method: 'GET',
    path: '/api/charge',
    port: 8080,
    host: 'payments-api.payments.svc.cluster.local',
    ...rest,
  };
}

const PLAINTEXT: AuthzRequest['source'] = {};

/** Whether a DENY policy made of this one rule denies the request. */
function denyRuleMatches(rule: unknown, req: AuthzRequest = request()): boolean {
  const decision = evaluateAuthorization([policy('deny', { action: 'DENY', rules: [rule] })], req);
  return !decision.allowed;
}

/** Whether an ALLOW policy made of this one rule lets the request through. */
function allowRuleMatches(rule: unknown, req: AuthzRequest = request()): boolean {
  return evaluateAuthorization([policy('allow', { action: 'ALLOW', rules: [rule] })], req).allowed;
}

describe('evaluateAuthorization: the catalogue cases', () => {
  const typoDeny = {
    selector: { matchLabels: { app: 'payments-api' } },
    action: 'DENY',
    rules: [{ from: [{ source: { notPrincipals: ['cluster.local/ns/orders/sa/orders-apii'] } }] }],
  };

  it('a DENY with a typo in notPrincipals denies the real orders-api principal', () => {
    const decision = evaluateAuthorization(
      [policy('deny-all-but-orders', typoDeny)],
      request({ source: { principal: ORDERS_PRINCIPAL, namespace: 'orders' } }),
    );
    expect(decision).toEqual({
      allowed: false,
      policy: 'payments/deny-all-but-orders',
      dryRunDenials: [],
    });
  });

  it('the same policy in dry-run allows and reports the shadow denial', () => {
    const decision = evaluateAuthorization(
      [policy('deny-all-but-orders', typoDeny, { annotations: DRY_RUN })],
      request({ source: { principal: ORDERS_PRINCIPAL, namespace: 'orders' } }),
    );
    expect(decision).toEqual({ allowed: true, dryRunDenials: ['payments/deny-all-but-orders'] });
  });

  it('without the typo, orders-api is not denied', () => {
    const fixed = structuredClone(typoDeny);
    fixed.rules[0]!.from[0]!.source.notPrincipals = ['cluster.local/ns/orders/sa/orders-api'];
    const decision = evaluateAuthorization([policy('deny-all-but-orders', fixed)], request());
    expect(decision).toEqual({ allowed: true, dryRunDenials: [] });
  });
});

describe('evaluateAuthorization: which policies apply', () => {
  const denyAll = { action: 'DENY', rules: [{}] };
  type Case = [name: string, obj: KubeObject, req: AuthzRequest, applies: boolean];
  const cases: Case[] = [
    ['same namespace, no selector', policy('p', denyAll), request(), true],
    [
      'root namespace, no selector',
      policy('p', denyAll, { namespace: 'istio-system' }),
      request(),
      true,
    ],
    ['another namespace', policy('p', denyAll, { namespace: 'orders' }), request(), false],
    [
      'selector matching a subset of the labels',
      policy('p', { ...denyAll, selector: { matchLabels: { app: 'payments-api' } } }),
      request(),
      true,
    ],
    [
      'selector with a different value',
      policy('p', { ...denyAll, selector: { matchLabels: { app: 'ledger' } } }),
      request(),
      false,
    ],
    [
      'selector with a label the workload lacks',
      policy('p', { ...denyAll, selector: { matchLabels: { app: 'payments-api', tier: 'x' } } }),
      request(),
      false,
    ],
    ['selector without matchLabels', policy('p', { ...denyAll, selector: {} }), request(), true],
    [
      'root-namespace selector reaches workloads of every namespace',
      policy(
        'p',
        { ...denyAll, selector: { matchLabels: { version: 'v1' } } },
        { namespace: 'istio-system' },
      ),
      request(),
      true,
    ],
    [
      'root-namespace selector not matching',
      policy(
        'p',
        { ...denyAll, selector: { matchLabels: { version: 'v2' } } },
        { namespace: 'istio-system' },
      ),
      request(),
      false,
    ],
    [
      'targetRef (gateway-bound) is ignored',
      policy('p', {
        ...denyAll,
        targetRef: { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'gw' },
      }),
      request(),
      false,
    ],
    [
      'targetRefs (waypoint-bound) is ignored',
      policy('p', { ...denyAll, targetRefs: [{ kind: 'Service', group: '', name: 'svc' }] }),
      request(),
      false,
    ],
    [
      'v1beta1 objects read the same',
      policy('p', denyAll, { apiVersion: 'security.istio.io/v1beta1' }),
      request(),
      true,
    ],
    [
      'another kind is ignored',
      { ...policy('p', denyAll), kind: 'PeerAuthentication' },
      request(),
      false,
    ],
    [
      'another API group is ignored',
      policy('p', denyAll, { apiVersion: 'example.com/v1' }),
      request(),
      false,
    ],
  ];

  it.each(cases)('%s', (_name, obj, req, applies) => {
    const decision = evaluateAuthorization([obj], req);
    expect(decision.allowed).toBe(!applies);
    expect(decision.policy).toBe(applies ? `${obj.metadata.namespace}/p` : undefined);
  });

  it('takes the root namespace as a parameter', () => {
    const obj = policy('p', denyAll, { namespace: 'mesh-root' });
    expect(evaluateAuthorization([obj], request()).allowed).toBe(true);
    expect(evaluateAuthorization([obj], request(), 'mesh-root')).toEqual({
      allowed: false,
      policy: 'mesh-root/p',
      dryRunDenials: [],
    });
  });

  it('reports a root-namespace DENY ahead of the namespace one, whatever the names', () => {
    const policies = [
      policy('a', denyAll, { namespace: 'apps' }),
      policy('z', denyAll, { namespace: 'zz-root' }),
    ];
    const req = request({ destination: { namespace: 'apps' } });
    expect(evaluateAuthorization(policies, req, 'zz-root').policy).toBe('zz-root/z');
  });
});

describe('evaluateAuthorization: actions and their order', () => {
  const allowAll = policy('allow-all', { action: 'ALLOW', rules: [{}] });
  const allowNothing = policy('allow-nothing', {});
  const denyAll = policy('deny-all', { action: 'DENY', rules: [{}] });
  const allowGet = policy('allow-get', { rules: [{ to: [{ operation: { methods: ['GET'] } }] }] });
  const allowPost = policy('allow-post', {
    rules: [{ to: [{ operation: { methods: ['POST'] } }] }],
  });

  type Case = [name: string, policies: KubeObject[], allowed: boolean, decidedBy?: string];
  const cases: Case[] = [
    ['no policy: allowed', [], true],
    ['DENY beats a matching ALLOW', [allowAll, denyAll], false, 'payments/deny-all'],
    [
      'a DENY that does not match leaves it to ALLOW',
      [
        policy('deny-post', {
          action: 'DENY',
          rules: [{ to: [{ operation: { methods: ['POST'] } }] }],
        }),
      ],
      true,
    ],
    ['an ALLOW that matches allows', [allowGet], true, 'payments/allow-get'],
    ['an ALLOW that applies but does not match denies', [allowPost], false, 'payments/allow-post'],
    ['any matching ALLOW suffices', [allowPost, allowGet], true, 'payments/allow-get'],
    [
      'denied by the ALLOW set: every applying ALLOW policy is named',
      [allowPost, allowNothing],
      false,
      'payments/allow-nothing,payments/allow-post',
    ],
    [
      'action defaults to ALLOW; no rules allows nothing',
      [allowNothing],
      false,
      'payments/allow-nothing',
    ],
    [
      'rules: [] matches nothing',
      [policy('p', { action: 'ALLOW', rules: [] })],
      false,
      'payments/p',
    ],
    ['rules: [{}] matches everything', [allowAll], true, 'payments/allow-all'],
    ['a null rule is skipped', [policy('p', { action: 'DENY', rules: [null] })], true],
    ['a DENY without rules denies nothing', [policy('p', { action: 'DENY' })], true],
    ['AUDIT never denies', [policy('audit', { action: 'AUDIT', rules: [{}] })], true],
    [
      'AUDIT does not count as an ALLOW policy',
      [policy('audit', { action: 'AUDIT', rules: [{}] }), allowPost],
      false,
      'payments/allow-post',
    ],
    [
      'CUSTOM is treated as not matching (no ext-authz in the lab)',
      [policy('ext', { action: 'CUSTOM', provider: { name: 'opa' }, rules: [{}] })],
      true,
    ],
    ['an unknown action is ignored', [policy('p', { action: 'REJECT', rules: [{}] })], true],
    [
      'a DENY in the root namespace decides first',
      [
        denyAll,
        policy('root-deny', { action: 'DENY', rules: [{}] }, { namespace: 'istio-system' }),
      ],
      false,
      'istio-system/root-deny',
    ],
    [
      'matching DENYs are reported by name order',
      [policy('b', { action: 'DENY', rules: [{}] }), policy('a', { action: 'DENY', rules: [{}] })],
      false,
      'payments/a',
    ],
  ];

  it.each(cases)('%s', (_name, policies, allowed, decidedBy) => {
    expect(evaluateAuthorization(policies, request())).toEqual({
      allowed,
      ...(decidedBy !== undefined ? { policy: decidedBy } : {}),
      dryRunDenials: [],
    });
  });
});

describe('evaluateAuthorization: matching a rule', () => {
  const spiffeless = request({
    source: { principal: 'cluster.local/ns/orders/sa/orders-api', namespace: 'orders' },
  });
  const noHost = request({ host: undefined });
  const ipv6 = request({ source: { ...request().source, ip: 'fd00:10::5' } });
  const from = (source: Record<string, unknown>) => ({ from: [{ source }] });
  const to = (operation: Record<string, unknown>) => ({ to: [{ operation }] });
  const when = (...conditions: Array<Record<string, unknown>>) => ({ when: conditions });

  type Case = [name: string, rule: unknown, matches: boolean, req?: AuthzRequest];
  const cases: Case[] = [
    // Principals: compared without spiffe://, Istio string matching.
    ['principals exact', from({ principals: ['cluster.local/ns/orders/sa/orders-api'] }), true],
    ['principals other', from({ principals: ['cluster.local/ns/orders/sa/other'] }), false],
    [
      'principals: request principal without spiffe://',
      from({ principals: ['cluster.local/ns/orders/sa/orders-api'] }),
      true,
      spiffeless,
    ],
    ['principals prefix', from({ principals: ['cluster.local/ns/orders/*'] }), true],
    ['principals prefix miss', from({ principals: ['cluster.local/ns/payments/*'] }), false],
    ['principals suffix', from({ principals: ['*/sa/orders-api'] }), true],
    ['principals suffix miss', from({ principals: ['*/sa/ledger'] }), false],
    ['principals presence', from({ principals: ['*'] }), true],
    [
      'principals presence, plaintext',
      from({ principals: ['*'] }),
      false,
      request({ source: PLAINTEXT }),
    ],
    ['principals list is ORed', from({ principals: ['a/ns/b/sa/c', '*/sa/orders-api'] }), true],
    [
      'notPrincipals hit',
      from({ notPrincipals: ['cluster.local/ns/orders/sa/orders-api'] }),
      false,
    ],
    ['notPrincipals miss', from({ notPrincipals: ['cluster.local/ns/orders/sa/x'] }), true],
    ['notPrincipals presence, mTLS', from({ notPrincipals: ['*'] }), false],
    [
      'notPrincipals presence, plaintext',
      from({ notPrincipals: ['*'] }),
      true,
      request({ source: PLAINTEXT }),
    ],
    // Namespaces.
    ['namespaces exact', from({ namespaces: ['orders'] }), true],
    ['namespaces other', from({ namespaces: ['ledger'] }), false],
    ['namespaces prefix', from({ namespaces: ['ord*'] }), true],
    ['namespaces, plaintext', from({ namespaces: ['*'] }), false, request({ source: PLAINTEXT })],
    ['notNamespaces hit', from({ notNamespaces: ['orders'] }), false],
    ['notNamespaces miss', from({ notNamespaces: ['ledger'] }), true],
    // IP blocks.
    ['ipBlocks single address', from({ ipBlocks: ['10.8.0.5'] }), true],
    ['ipBlocks CIDR', from({ ipBlocks: ['10.8.0.0/16'] }), true],
    ['ipBlocks CIDR miss', from({ ipBlocks: ['10.9.0.0/16'] }), false],
    ['ipBlocks IPv6', from({ ipBlocks: ['fd00:10::/32'] }), true, ipv6],
    ['ipBlocks IPv6 single address', from({ ipBlocks: ['fd00:10::5'] }), true, ipv6],
    ['ipBlocks IPv4 block, IPv6 source', from({ ipBlocks: ['10.0.0.0/8'] }), false, ipv6],
    [
      'ipBlocks, source address unknown',
      from({ ipBlocks: ['0.0.0.0/0'] }),
      false,
      request({ source: PLAINTEXT }),
    ],
    ['notIpBlocks hit', from({ notIpBlocks: ['10.8.0.0/24'] }), false],
    ['notIpBlocks miss', from({ notIpBlocks: ['192.168.0.0/16'] }), true],
    ['remoteIpBlocks', from({ remoteIpBlocks: ['10.8.0.0/16'] }), true],
    ['notRemoteIpBlocks', from({ notRemoteIpBlocks: ['10.8.0.0/16'] }), false],
    // Request principals: no JWTs in the lab.
    ['requestPrincipals never match', from({ requestPrincipals: ['*'] }), false],
    ['notRequestPrincipals always match', from({ notRequestPrincipals: ['issuer/sub'] }), true],
    // Fields of a source are ANDed.
    [
      'source fields ANDed: both hold',
      from({ principals: ['*/sa/orders-api'], namespaces: ['orders'] }),
      true,
    ],
    [
      'source fields ANDed: one fails',
      from({ principals: ['*/sa/orders-api'], namespaces: ['ledger'] }),
      false,
    ],
    [
      'positive and negative of one field',
      from({ namespaces: ['ord*'], notNamespaces: ['orders'] }),
      false,
    ],
    // Sources of a rule are ORed.
    [
      'from entries ORed',
      { from: [{ source: { namespaces: ['ledger'] } }, { source: { namespaces: ['orders'] } }] },
      true,
    ],
    [
      'from entries, none matching',
      { from: [{ source: { namespaces: ['ledger'] } }, { source: { principals: ['x'] } }] },
      false,
    ],
    ['from entry without source', { from: [{}] }, true],
    ['from: [] is any source', { from: [] }, true],
    // Operations.
    ['methods', to({ methods: ['GET'] }), true],
    ['methods are case-sensitive', to({ methods: ['get'] }), false],
    ['methods list ORed', to({ methods: ['POST', 'GET'] }), true],
    ['notMethods hit', to({ notMethods: ['GET'] }), false],
    ['notMethods miss', to({ notMethods: ['DELETE'] }), true],
    ['paths exact', to({ paths: ['/api/charge'] }), true],
    ['paths exact miss', to({ paths: ['/api'] }), false],
    ['paths prefix', to({ paths: ['/api/*'] }), true],
    ['paths suffix', to({ paths: ['*/charge'] }), true],
    ['paths suffix miss', to({ paths: ['*/refund'] }), false],
    ['notPaths hit', to({ notPaths: ['/api/*'] }), false],
    ['notPaths miss', to({ notPaths: ['/admin/*'] }), true],
    ['ports', to({ ports: ['8080'] }), true],
    ['ports miss', to({ ports: ['9090'] }), false],
    ['notPorts hit', to({ notPorts: ['8080'] }), false],
    ['notPorts miss', to({ notPorts: ['15090'] }), true],
    ['hosts exact', to({ hosts: ['payments-api.payments.svc.cluster.local'] }), true],
    [
      'hosts are case-insensitive',
      to({ hosts: ['Payments-API.payments.svc.cluster.local'] }),
      true,
    ],
    ['hosts suffix', to({ hosts: ['*.svc.cluster.local'] }), true],
    ['hosts prefix miss', to({ hosts: ['ledger*'] }), false],
    ['hosts, request without host', to({ hosts: ['*'] }), false, noHost],
    ['notHosts, request without host', to({ notHosts: ['*'] }), true, noHost],
    ['notHosts hit', to({ notHosts: ['*.cluster.local'] }), false],
    ['operation fields ANDed: both hold', to({ methods: ['GET'], paths: ['/api/*'] }), true],
    ['operation fields ANDed: one fails', to({ methods: ['GET'], ports: ['9090'] }), false],
    [
      'to entries ORed',
      { to: [{ operation: { methods: ['POST'] } }, { operation: { paths: ['/api/*'] } }] },
      true,
    ],
    ['to entry without operation', { to: [{}] }, true],
    // from, to and when are ANDed.
    [
      'from and to both hold',
      { ...from({ namespaces: ['orders'] }), ...to({ methods: ['GET'] }) },
      true,
    ],
    [
      'from holds, to fails',
      { ...from({ namespaces: ['orders'] }), ...to({ methods: ['PUT'] }) },
      false,
    ],
    [
      'to holds, from fails',
      { ...from({ namespaces: ['x'] }), ...to({ methods: ['GET'] }) },
      false,
    ],
    [
      'when fails the rule',
      { ...to({ methods: ['GET'] }), ...when({ key: 'destination.port', values: ['9090'] }) },
      false,
    ],
    // Conditions.
    ['when source.principal', when({ key: 'source.principal', values: ['*/sa/orders-api'] }), true],
    ['when source.principal miss', when({ key: 'source.principal', values: ['*/sa/x'] }), false],
    [
      'when source.principal notValues',
      when({ key: 'source.principal', notValues: ['cluster.local/ns/orders/sa/orders-api'] }),
      false,
    ],
    ['when source.namespace', when({ key: 'source.namespace', values: ['orders'] }), true],
    [
      'when source.namespace notValues',
      when({ key: 'source.namespace', notValues: ['orders'] }),
      false,
    ],
    [
      'when source.namespace, plaintext',
      when({ key: 'source.namespace', values: ['*'] }),
      false,
      request({ source: PLAINTEXT }),
    ],
    ['when destination.port', when({ key: 'destination.port', values: ['80', '8080'] }), true],
    [
      'when destination.port notValues',
      when({ key: 'destination.port', notValues: ['8080'] }),
      false,
    ],
    ['when source.ip', when({ key: 'source.ip', values: ['10.8.0.0/16'] }), true],
    ['when remote.ip', when({ key: 'remote.ip', notValues: ['10.8.0.5'] }), false],
    [
      'when request.headers: no headers in the lab',
      when({ key: 'request.headers[x-user]', values: ['*'] }),
      false,
    ],
    [
      'when request.headers notValues hold without headers',
      when({ key: 'request.headers[x-user]', notValues: ['admin'] }),
      true,
    ],
    [
      'when request.auth.claims never present',
      when({ key: 'request.auth.claims[iss]', values: ['*'] }),
      false,
    ],
    [
      'when request.auth.principal never present',
      when({ key: 'request.auth.principal', values: ['*'] }),
      false,
    ],
    ['when connection.sni never present', when({ key: 'connection.sni', values: ['*'] }), false],
    [
      'when conditions ANDed',
      when(
        { key: 'source.namespace', values: ['orders'] },
        { key: 'destination.port', values: ['9090'] },
      ),
      false,
    ],
    [
      'when conditions ANDed, all hold',
      when(
        { key: 'source.namespace', values: ['orders'] },
        { key: 'destination.port', values: ['8080'] },
      ),
      true,
    ],
    [
      'a condition with neither values nor notValues does not constrain',
      when({ key: 'source.ip' }),
      true,
    ],
  ];

  it.each(cases)('%s (DENY)', (_name, rule, matches, req) => {
    expect(denyRuleMatches(rule, req)).toBe(matches);
  });

  it.each(cases)('%s (ALLOW)', (_name, rule, matches, req) => {
    expect(allowRuleMatches(rule, req)).toBe(matches);
  });

  it('rules of a policy are ORed', () => {
    const rules = [
      { to: [{ operation: { methods: ['POST'] } }] },
      { to: [{ operation: { ports: ['8080'] } }] },
    ];
    expect(evaluateAuthorization([policy('p', { rules })], request()).allowed).toBe(true);
    expect(evaluateAuthorization([policy('p', { rules })], request({ port: 9090 })).allowed).toBe(
      false,
    );
  });
});

describe('evaluateAuthorization: what istiod cannot translate', () => {
  const unknownKey = { when: [{ key: 'source.serviceAccountName', values: ['orders-api'] }] };

  it('an unknown when key skips the rule in a DENY policy: it denies nothing', () => {
    expect(denyRuleMatches(unknownKey)).toBe(false);
    expect(denyRuleMatches({ ...unknownKey, from: [{ source: { namespaces: ['orders'] } }] })).toBe(
      false,
    );
  });

  it('an unknown when key skips the rule in an ALLOW policy: it allows nothing', () => {
    expect(allowRuleMatches(unknownKey)).toBe(false);
  });

  it('other rules of the policy still count', () => {
    const decision = evaluateAuthorization(
      [
        policy('p', {
          action: 'ALLOW',
          rules: [unknownKey, { to: [{ operation: { methods: ['GET'] } }] }],
        }),
      ],
      request(),
    );
    expect(decision.allowed).toBe(true);
  });

  type Case = [
    name: string,
    rule: Record<string, unknown>,
    denyMatches: boolean,
    allowMatches: boolean,
  ];
  const cases: Case[] = [
    // ALLOW: the whole rule is dropped. DENY: only the value is, widening the deny.
    [
      'a non-numeric port next to a matching one',
      { to: [{ operation: { ports: ['http', '8080'] } }] },
      true,
      false,
    ],
    [
      'a non-numeric port next to another port',
      { to: [{ operation: { ports: ['http', '9090'] } }] },
      false,
      false,
    ],
    [
      'only non-numeric ports: no longer constrains a DENY',
      { to: [{ operation: { ports: ['http'] } }] },
      true,
      false,
    ],
    ['a port out of range', { to: [{ operation: { notPorts: ['70000'] } }] }, true, false],
    ['an invalid CIDR', { from: [{ source: { ipBlocks: ['10.0.0.0/99'] } }] }, true, false],
    [
      'an invalid destination.port condition',
      { when: [{ key: 'destination.port', values: ['eighty'] }] },
      true,
      false,
    ],
    [
      'a header key without brackets',
      { when: [{ key: 'request.headers', notValues: ['x'] }] },
      true,
      false,
    ],
    [
      'an invalid value in one operation entry skips the whole ALLOW rule',
      { to: [{ operation: { ports: ['x'] } }, { operation: { methods: ['GET'] } }] },
      true,
      false,
    ],
  ];

  it.each(cases)('%s', (_name, rule, denyMatches, allowMatches) => {
    expect(denyRuleMatches(rule)).toBe(denyMatches);
    expect(allowRuleMatches(rule)).toBe(allowMatches);
  });
});

describe('evaluateAuthorization: dry-run', () => {
  const denyGet = { action: 'DENY', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] };
  const denyPost = { action: 'DENY', rules: [{ to: [{ operation: { methods: ['POST'] } }] }] };
  const allowGet = { action: 'ALLOW', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] };
  const allowPost = { action: 'ALLOW', rules: [{ to: [{ operation: { methods: ['POST'] } }] }] };

  type Case = [
    name: string,
    policies: KubeObject[],
    expected: { allowed: boolean; policy?: string; dryRunDenials: string[] },
  ];
  const cases: Case[] = [
    [
      'a matching dry-run DENY is reported, not enforced',
      [policy('d', denyGet, { annotations: DRY_RUN })],
      { allowed: true, dryRunDenials: ['payments/d'] },
    ],
    [
      'a dry-run DENY that does not match is not reported',
      [policy('d', denyPost, { annotations: DRY_RUN })],
      { allowed: true, dryRunDenials: [] },
    ],
    [
      'a dry-run ALLOW that does not match is reported; with no enforced ALLOW the request passes',
      [policy('a', allowPost, { annotations: DRY_RUN })],
      { allowed: true, dryRunDenials: ['payments/a'] },
    ],
    [
      'a dry-run ALLOW that matches is not reported',
      [policy('a', allowGet, { annotations: DRY_RUN })],
      { allowed: true, dryRunDenials: [] },
    ],
    [
      'a dry-run ALLOW does not make the enforced ALLOW set non-empty',
      [policy('a', allowGet, { annotations: DRY_RUN }), policy('b', allowPost)],
      { allowed: false, policy: 'payments/b', dryRunDenials: [] },
    ],
    [
      'a dry-run ALLOW does not rescue a request the enforced ALLOW set denies',
      [policy('a', allowGet, { annotations: DRY_RUN }), policy('d', denyGet)],
      { allowed: false, policy: 'payments/d', dryRunDenials: [] },
    ],
    [
      'shadow and enforced decisions side by side',
      [policy('d', denyGet, { annotations: DRY_RUN }), policy('b', allowGet)],
      { allowed: true, policy: 'payments/b', dryRunDenials: ['payments/d'] },
    ],
    [
      'several dry-run denials, root namespace first',
      [
        policy('d', denyGet, { annotations: DRY_RUN }),
        policy('z', denyGet, { annotations: DRY_RUN, namespace: 'istio-system' }),
        policy('a', allowPost, { annotations: DRY_RUN }),
      ],
      { allowed: true, dryRunDenials: ['istio-system/z', 'payments/a', 'payments/d'] },
    ],
    [
      'a dry-run policy that does not apply to the workload is not reported',
      [
        policy(
          'd',
          { ...denyGet, selector: { matchLabels: { app: 'ledger' } } },
          { annotations: DRY_RUN },
        ),
      ],
      { allowed: true, dryRunDenials: [] },
    ],
    [
      'dry-run "false" is enforced',
      [policy('d', denyGet, { annotations: { 'istio.io/dry-run': 'false' } })],
      { allowed: false, policy: 'payments/d', dryRunDenials: [] },
    ],
    [
      'dry-run "True" counts, as Go\'s ParseBool reads it',
      [policy('d', denyGet, { annotations: { 'istio.io/dry-run': 'True' } })],
      { allowed: true, dryRunDenials: ['payments/d'] },
    ],
    [
      'dry-run AUDIT and CUSTOM are never reported',
      [
        policy('audit', { action: 'AUDIT', rules: [{}] }, { annotations: DRY_RUN }),
        policy(
          'ext',
          { action: 'CUSTOM', provider: { name: 'x' }, rules: [{}] },
          { annotations: DRY_RUN },
        ),
      ],
      { allowed: true, dryRunDenials: [] },
    ],
  ];

  it.each(cases)('%s', (_name, policies, expected) => {
    expect(evaluateAuthorization(policies, request())).toEqual(expected);
  });
});
