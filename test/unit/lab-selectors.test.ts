import { describe, expect, it } from 'vitest';
import {
  fieldSelectorToString,
  isEverything,
  labelSelectorFromObject,
  labelSelectorFromSet,
  labelSelectorToString,
  matches,
  matchesFields,
  objectFieldValues,
  parseFieldSelector,
  parseFieldSelectorForKind,
  parseLabelSelector,
  SelectorError,
  supportedFieldsFor,
  type LabelSelectorObject,
} from '../../lab/apiserver/selectors.js';
import type { KubeObject } from '../../lab/apiserver/types.js';

// Message fragments exactly as k8s.io/apimachinery renders them (note Go's double spaces).
const NAME_PART =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end " +
  "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for " +
  "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', " +
  "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or " +
  "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const PREFIX_PART =
  "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' " +
  "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used " +
  "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const NOT_INTEGER = "for 'Gt', 'Lt' operators, the value must be an integer";

function errorOf(fn: () => unknown): SelectorError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SelectorError);
    return err as SelectorError;
  }
  throw new Error('expected a SelectorError, nothing was thrown');
}

describe('parseLabelSelector: accepted syntax, in canonical String() form', () => {
  it.each([
    ['x=a', 'x=a'],
    ['x==a', 'x==a'],
    ['x!=a', 'x!=a'],
    ['x in (b,a)', 'x in (a,b)'],
    ['x notin (a)', 'x notin (a)'],
    ['x', 'x'],
    ['!x', '!x'],
    ['x>1', 'x>1'],
    ['x<10', 'x<10'],
    ['x=', 'x='],
    ['x!=', 'x!='],
    ['x in (a,a)', 'x in (a)'],
    ['x in (foo,,baz),y,z notin ()', 'x in (,baz,foo),y,z notin ()'],
    ['x in (a,)', 'x in (,a)'],
    ['x in (,a)', 'x in (,a)'],
    ['z=1,a=2,m', 'a=2,m,z=1'],
    ['x=a,x!=b', 'x=a,x!=b'],
    ['  x = a , y in ( b , c ) ,  ! z ', 'x=a,y in (b,c),!z'],
    ['x\t=\ta\r\n,y', 'x=a,y'],
    ['x in(a),y notin(b)', 'x in (a),y notin (b)'],
    ['in in (in,notin)', 'in in (in,notin)'],
    ['app.kubernetes.io/name=web_1.v-2', 'app.kubernetes.io/name=web_1.v-2'],
    ['MyKey=MyValue', 'MyKey=MyValue'],
  ])('%j → %j', (text, canonical) => {
    const selector = parseLabelSelector(text);
    expect(selector.matchesNothing).toBe(false);
    expect(labelSelectorToString(selector)).toBe(canonical);
  });

  it('reads the empty string (and pure whitespace) as everything', () => {
    for (const text of ['', '   ', '\t\n']) {
      const selector = parseLabelSelector(text);
      expect(isEverything(selector)).toBe(true);
      expect(matches(selector, undefined)).toBe(true);
      expect(matches(selector, { any: 'thing' })).toBe(true);
    }
  });

  it('exposes the parsed requirements with Go operator names, sorted by key', () => {
    expect(parseLabelSelector('b>5,!a,c in (y,x)').requirements).toEqual([
      { key: 'a', operator: '!', values: [] },
      { key: 'b', operator: 'gt', values: ['5'] },
      { key: 'c', operator: 'in', values: ['x', 'y'] },
    ]);
  });

  it('accepts the longest valid key and value', () => {
    const key = `${'p'.repeat(253)}/${'n'.repeat(63)}`;
    const text = `${key}=${'v'.repeat(63)}`;
    expect(labelSelectorToString(parseLabelSelector(text))).toBe(text);
  });
});

describe('parseLabelSelector: rejected input, with the real parser messages', () => {
  it.each([
    ['a in (b', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['a notin b', "unable to parse requirement: found 'b' expected: '('"],
    ['=a', "found '=', expected: !, identifier, or 'end of string'"],
    [',a', "found ',', expected: !, identifier, or 'end of string'"],
    ['a,', "found '', expected: identifier after ','"],
    ['a,,b', "found ',', expected: identifier after ','"],
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    ['!', "unable to parse requirement: found '', expected: identifier"],
    ['!=a', "found '!=', expected: !, identifier, or 'end of string'"],
    ['a=(b)', "unable to parse requirement: found '(', expected: identifier"],
    ['a!==b', "unable to parse requirement: found '=', expected: identifier"],
    ['a in (b c)', "unable to parse requirement: found 'c', expected: ',' or ')'"],
    ['a in (=)', "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
    ['a in (b,=)', "unable to parse requirement: found '=', expected: ',', or identifier"],
    ['a in b', "unable to parse requirement: found 'b' expected: '('"],
  ])('%j', (text, message) => {
    const err = errorOf(() => parseLabelSelector(text));
    expect(err.message).toBe(message);
    expect(err.code).toBe(400);
    expect(err.reason).toBe('BadRequest');
  });

  it.each([
    ['app:monolith', `<nil>: Invalid value: "app:monolith": ${NAME_PART}`],
    ['a$=b', `<nil>: Invalid value: "a$": ${NAME_PART}`],
    ['-a', `<nil>: Invalid value: "-a": ${NAME_PART}`],
    [
      `${'k'.repeat(64)}=v`,
      `<nil>: Invalid value: "${'k'.repeat(64)}": name part must be no more than 63 characters`,
    ],
    ['Example.com/x=y', `<nil>: Invalid value: "Example.com/x": ${PREFIX_PART}`],
    [
      `${'p'.repeat(254)}/x`,
      `<nil>: Invalid value: "${'p'.repeat(254)}/x": prefix part must be no more than 253 characters`,
    ],
    ['/x', '<nil>: Invalid value: "/x": prefix part must be non-empty'],
    ['x/', `<nil>: Invalid value: "x/": name part must be non-empty; ${NAME_PART}`],
    [
      'a/b/c=d',
      '<nil>: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, ' +
        "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  " +
        "or 'my.name',  or '123-abc', regex used for validation is " +
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' " +
        "(e.g. 'example.com/MyName')",
    ],
    ['a"b', `<nil>: Invalid value: "a\\"b": ${NAME_PART}`],
  ])('invalid key %j', (text, detail) => {
    expect(errorOf(() => parseLabelSelector(text)).message).toBe(
      `unable to parse requirement: ${detail}`,
    );
  });

  it.each([
    ['app=demo-{nginx}', `values[0][app]: Invalid value: "demo-{nginx}": ${LABEL_VALUE}`],
    ['app==-x', `values[0][app]: Invalid value: "-x": ${LABEL_VALUE}`],
    [
      `a=${'v'.repeat(64)}`,
      `values[0][a]: Invalid value: "${'v'.repeat(64)}": must be no more than 63 characters`,
    ],
    // Set values are sorted before validation, so the index is the sorted position.
    ['a in (ok,b$)', `values[0][a]: Invalid value: "b$": ${LABEL_VALUE}`],
    ['a notin (ok,z$)', `values[1][a]: Invalid value: "z$": ${LABEL_VALUE}`],
    // A negative number parses as an integer but is no valid label value.
    ['a>-1', `values[0][a]: Invalid value: "-1": ${LABEL_VALUE}`],
  ])('invalid value %j', (text, detail) => {
    expect(errorOf(() => parseLabelSelector(text)).message).toBe(
      `unable to parse requirement: ${detail}`,
    );
  });

  it.each([
    ['environment>qa', `values[0]: Invalid value: "qa": ${NOT_INTEGER}`],
    ['a<1.5', `values[0]: Invalid value: "1.5": ${NOT_INTEGER}`],
    ['a>', `values[0]: Invalid value: "": ${NOT_INTEGER}`],
    ['a>99999999999999999999', `values[0]: Invalid value: "99999999999999999999": ${NOT_INTEGER}`],
    [
      'a>x$',
      `[values[0]: Invalid value: "x$": ${NOT_INTEGER}, ` +
        `values[0][a]: Invalid value: "x$": ${LABEL_VALUE}]`,
    ],
  ])('Gt/Lt with a non-integer %j', (text, detail) => {
    expect(errorOf(() => parseLabelSelector(text)).message).toBe(
      `unable to parse requirement: ${detail}`,
    );
  });
});

describe('matches', () => {
  const labels = { app: 'web', tier: 'frontend', replicas: '3', empty: '' };

  it.each([
    ['app=web', true],
    ['app==web', true],
    ['app=api', false],
    ['missing=web', false],
    ['app!=api', true],
    ['app!=web', false],
    ['missing!=x', true],
    ['app in (api,web)', true],
    ['app in (api)', false],
    ['missing in (x)', false],
    ['app notin (api)', true],
    ['app notin (web,api)', false],
    ['missing notin (x)', true],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['empty', true],
    ['empty=', true],
    ['!empty', false],
    ['empty in ()', true],
    ['missing=', false],
    ['replicas>2', true],
    ['replicas>3', false],
    ['replicas<4', true],
    ['replicas<3', false],
    ['replicas>0', true],
    ['missing>1', false],
    ['app>1', false],
    ['app=web,tier=frontend', true],
    ['app=web,tier=backend', false],
    ['app,!missing,tier notin (backend),replicas>1', true],
  ])('%j on %j → %s', (text, expected) => {
    expect(matches(parseLabelSelector(text), labels)).toBe(expected);
  });

  it('treats missing labels as an empty set', () => {
    expect(matches(parseLabelSelector('app!=x'), undefined)).toBe(true);
    expect(matches(parseLabelSelector('app notin (x)'), undefined)).toBe(true);
    expect(matches(parseLabelSelector('!app'), undefined)).toBe(true);
    expect(matches(parseLabelSelector('app'), undefined)).toBe(false);
    expect(matches(parseLabelSelector('app=x'), {})).toBe(false);
  });

  it('compares Gt/Lt as 64-bit integers, not strings', () => {
    expect(matches(parseLabelSelector('n>9'), { n: '10' })).toBe(true);
    expect(matches(parseLabelSelector('n<9'), { n: '10' })).toBe(false);
    expect(matches(parseLabelSelector('n>9223372036854775806'), { n: '9223372036854775807' })).toBe(
      true,
    );
    expect(matches(parseLabelSelector('n>1'), { n: '9223372036854775808' })).toBe(false);
  });

  it('does not match inherited object properties as labels', () => {
    expect(matches(parseLabelSelector('toString'), {})).toBe(false);
    expect(matches(parseLabelSelector('!constructor'), {})).toBe(true);
  });
});

describe('labelSelectorFromObject (metav1.LabelSelectorAsSelector)', () => {
  it('turns a nil selector into one that matches nothing', () => {
    for (const sel of [null, undefined]) {
      const selector = labelSelectorFromObject(sel);
      expect(selector.matchesNothing).toBe(true);
      expect(isEverything(selector)).toBe(false);
      expect(matches(selector, {})).toBe(false);
      expect(matches(selector, { app: 'web' })).toBe(false);
      expect(labelSelectorToString(selector)).toBe('');
    }
  });

  it.each([
    [{}],
    [{ matchLabels: {}, matchExpressions: [] }],
    [{ matchLabels: null, matchExpressions: null }],
  ] as Array<[LabelSelectorObject]>)('turns an empty selector %j into everything', (sel) => {
    const selector = labelSelectorFromObject(sel);
    expect(isEverything(selector)).toBe(true);
    expect(matches(selector, undefined)).toBe(true);
    expect(matches(selector, { app: 'web' })).toBe(true);
  });

  it('combines matchLabels and matchExpressions, sorted by key in String()', () => {
    const selector = labelSelectorFromObject({
      matchLabels: { tier: 'fe', app: 'web' },
      matchExpressions: [
        { key: 'zone', operator: 'Exists' },
        { key: 'env', operator: 'In', values: ['prod', 'dev'] },
        { key: 'canary', operator: 'DoesNotExist' },
        { key: 'track', operator: 'NotIn', values: ['beta'] },
      ],
    });
    expect(labelSelectorToString(selector)).toBe(
      'app=web,!canary,env in (dev,prod),tier=fe,track notin (beta),zone',
    );
    const base = { app: 'web', tier: 'fe', env: 'prod', zone: 'a' };
    expect(matches(selector, base)).toBe(true);
    expect(matches(selector, { ...base, track: 'stable' })).toBe(true);
    expect(matches(selector, { ...base, track: 'beta' })).toBe(false);
    expect(matches(selector, { ...base, canary: 'true' })).toBe(false);
    expect(matches(selector, { ...base, env: 'qa' })).toBe(false);
    const { zone: _zone, ...withoutZone } = base;
    expect(matches(selector, withoutZone)).toBe(false);
  });

  it.each([
    [
      { matchExpressions: [{ key: 'a', operator: 'In' }] },
      "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty",
    ],
    [
      { matchExpressions: [{ key: 'a', operator: 'NotIn', values: [] }] },
      "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty",
    ],
    [
      { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
      'values: Invalid value: ["x"]: values set must be empty for exists and does not exist',
    ],
    [
      { matchExpressions: [{ key: 'a', operator: 'DoesNotExist', values: ['x', 'y'] }] },
      'values: Invalid value: ["x","y"]: values set must be empty for exists and does not exist',
    ],
    [
      { matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] },
      '"Gt" is not a valid label selector operator',
    ],
    [
      { matchExpressions: [{ key: 'a', operator: 'in', values: ['1'] }] },
      '"in" is not a valid label selector operator',
    ],
    [
      { matchExpressions: [{ key: 'bad key', operator: 'Exists' }] },
      `key: Invalid value: "bad key": ${NAME_PART}`,
    ],
    [{ matchLabels: { app: 'a b' } }, `values[0][app]: Invalid value: "a b": ${LABEL_VALUE}`],
    [{ matchLabels: { 'a/b/c': 'x' } }, 'key: Invalid value: "a/b/c": a qualified name'],
    [
      { matchExpressions: [{ key: 'bad key', operator: 'In', values: [] }] },
      `[key: Invalid value: "bad key": ${NAME_PART}, values: Invalid value: null: ` +
        "for 'in', 'notin' operators, values set can't be empty]",
    ],
  ])('rejects %j', (sel, message) => {
    const err = errorOf(() => labelSelectorFromObject(sel as unknown as LabelSelectorObject));
    expect(err.message.startsWith(message)).toBe(true);
    expect(err.code).toBe(400);
  });
});

describe('labelSelectorFromSet (map form)', () => {
  it('selects everything for a nil or empty map and exact matches otherwise', () => {
    expect(isEverything(labelSelectorFromSet(undefined))).toBe(true);
    expect(isEverything(labelSelectorFromSet({}))).toBe(true);
    const selector = labelSelectorFromSet({ tier: 'fe', app: 'web' });
    expect(labelSelectorToString(selector)).toBe('app=web,tier=fe');
    expect(matches(selector, { app: 'web', tier: 'fe', extra: 'x' })).toBe(true);
    expect(matches(selector, { app: 'web' })).toBe(false);
  });
});

describe('labelSelectorToString', () => {
  it('round-trips through parseLabelSelector', () => {
    for (const text of ['!a,b in (x,y),c notin (z),d=1,e==2,f!=3,g>4,h<5,i', 'k in (,a)']) {
      const once = labelSelectorToString(parseLabelSelector(text));
      expect(once).toBe(text);
      expect(labelSelectorToString(parseLabelSelector(once))).toBe(once);
    }
  });
});

describe('parseFieldSelector', () => {
  const POD_FIELDS = supportedFieldsFor('Pod');

  it.each([
    ['', ''],
    ['metadata.name=a', 'metadata.name=a'],
    ['metadata.name==a', 'metadata.name=a'],
    ['metadata.name!=a', 'metadata.name!=a'],
    ['metadata.name=', 'metadata.name='],
    ['status.phase=Running,metadata.name=a', 'metadata.name=a,status.phase=Running'],
    ['metadata.name=a,,spec.nodeName=n', 'metadata.name=a,spec.nodeName=n'],
    ['metadata.name=a\\,b', 'metadata.name=a\\,b'],
    ['metadata.name=a\\=b', 'metadata.name=a\\=b'],
    ['metadata.name=a\\\\b', 'metadata.name=a\\\\b'],
  ])('%j → %j', (text, canonical) => {
    expect(fieldSelectorToString(parseFieldSelector(text, POD_FIELDS))).toBe(canonical);
  });

  it.each([
    ['metadata.name=a\\,b', 'a,b'],
    ['metadata.name=a\\=b', 'a=b'],
    ['metadata.name=a\\\\b', 'a\\b'],
    ['metadata.name=a\\\\', 'a\\'],
    ['metadata.name==a', 'a'],
    ['metadata.name= a ', ' a '],
  ])('unescapes %j to %j', (text, value) => {
    expect(parseFieldSelector(text, POD_FIELDS).requirements).toEqual([
      { field: 'metadata.name', operator: '=', value },
    ]);
  });

  it.each([
    ['metadata.name', "invalid selector: 'metadata.name'; can't understand 'metadata.name'"],
    ['a=1,b', "invalid selector: 'a=1,b'; can't understand 'b'"],
    ['metadata.name=a\\x', 'invalid field selector: invalid escape sequence: \\x'],
    ['metadata.name=a\\', 'invalid field selector: invalid escape sequence: \\'],
    ['metadata.name=a=b', 'invalid field selector: unescaped character in value: 61'],
    ['metadata.name===a', 'invalid field selector: unescaped character in value: 61'],
    ['spec.replicas=1', 'field label not supported: spec.replicas'],
    ['metadata.labels=x', 'field label not supported: metadata.labels'],
    [' metadata.name=a', 'field label not supported:  metadata.name'],
    // Terms are sorted before conversion, so the first unsupported one in sorted order wins.
    ['zzz=1,aaa=2', 'field label not supported: aaa'],
    // Syntax errors are found before any field is checked.
    [
      'spec.replicas=1,metadata.name',
      "invalid selector: 'spec.replicas=1,metadata.name'; can't understand 'metadata.name'",
    ],
  ])('rejects %j', (text, message) => {
    const err = errorOf(() => parseFieldSelector(text, POD_FIELDS));
    expect(err.message).toBe(message);
    expect(err.code).toBe(400);
  });

  it('matches on exact values, reading a missing field as ""', () => {
    const values = { 'metadata.name': 'a,b', 'metadata.namespace': 'ns' };
    const sel = (text: string) => parseFieldSelector(text, POD_FIELDS);
    expect(matchesFields(sel('metadata.name=a\\,b'), values)).toBe(true);
    expect(matchesFields(sel('metadata.name=a'), values)).toBe(false);
    expect(matchesFields(sel('metadata.name!=a'), values)).toBe(true);
    expect(matchesFields(sel('metadata.name!=a\\,b'), values)).toBe(false);
    expect(matchesFields(sel('metadata.name=a\\,b,metadata.namespace=other'), values)).toBe(false);
    expect(matchesFields(sel('spec.nodeName='), values)).toBe(true);
    expect(matchesFields(sel('spec.nodeName!=n1'), values)).toBe(true);
    expect(matchesFields(sel('spec.nodeName=n1'), values)).toBe(false);
    expect(matchesFields(sel(''), values)).toBe(true);
  });
});

describe('supportedFieldsFor and parseFieldSelectorForKind', () => {
  it.each([
    ['Pod', ['spec.nodeName', 'status.phase', 'spec.serviceAccountName', 'status.podIP']],
    [
      'Event',
      [
        'involvedObject.kind',
        'involvedObject.name',
        'involvedObject.namespace',
        'involvedObject.uid',
        'reason',
        'type',
        'source',
      ],
    ],
    ['Secret', ['type']],
    ['Service', ['spec.clusterIP', 'spec.type']],
    ['Namespace', ['status.phase']],
    ['Node', ['spec.unschedulable']],
  ])('%s supports its own fields', (kind, extra) => {
    const fields = supportedFieldsFor(kind);
    expect(fields).toContain('metadata.name');
    for (const field of extra) expect(fields).toContain(field);
  });

  it('gives every other kind only the metadata fields', () => {
    for (const kind of ['Deployment', 'ConfigMap', 'VirtualService', 'AuthorizationPolicy']) {
      expect([...supportedFieldsFor(kind)].sort()).toEqual(['metadata.name', 'metadata.namespace']);
    }
    expect(supportedFieldsFor('Secret')).toContain('type');
    expect(supportedFieldsFor('ConfigMap')).not.toContain('type');
    // A CRD that reuses a core kind name is not the core kind.
    expect(supportedFieldsFor('Service', 'serving.knative.dev/v1')).not.toContain('spec.type');
    // Cluster-scoped kinds with their own conversion do not list metadata.namespace.
    expect(supportedFieldsFor('Node')).not.toContain('metadata.namespace');
    expect(supportedFieldsFor('Namespace')).not.toContain('metadata.namespace');
  });

  it.each([
    ['Pod', 'spec.replicas=1', 'field label not supported: spec.replicas'],
    ['Secret', 'spec.type=x', 'field label not supported: spec.type'],
    [
      'Deployment',
      'spec.replicas=1',
      '"spec.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"',
    ],
    [
      'VirtualService',
      'spec.hosts=x',
      '"spec.hosts" is not a known field selector: only "metadata.name", "metadata.namespace"',
    ],
    ['Job', 'status.failed=1', 'field label "status.failed" not supported for batchv1.Job'],
  ])('answers an unsupported %s field with the real message', (kind, text, message) => {
    expect(errorOf(() => parseFieldSelectorForKind(text, kind)).message).toBe(message);
  });

  it('rewrites the legacy pod field spec.host to spec.nodeName', () => {
    expect(parseFieldSelectorForKind('spec.host=node-1', 'Pod').requirements).toEqual([
      { field: 'spec.nodeName', operator: '=', value: 'node-1' },
    ]);
    expect(() => parseFieldSelector('spec.host=node-1', supportedFieldsFor('Pod'))).toThrow(
      'field label not supported: spec.host',
    );
  });
});

describe('objectFieldValues', () => {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'api-1', namespace: 'orders', labels: { app: 'api' } },
    spec: {
      nodeName: 'node-1',
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      serviceAccountName: 'default',
      containers: [],
    },
    status: { phase: 'Running', podIPs: [{ ip: '10.0.0.7' }] },
  };

  it('gives a pod its selectable fields', () => {
    expect(objectFieldValues(pod)).toEqual({
      'metadata.name': 'api-1',
      'metadata.namespace': 'orders',
      'spec.nodeName': 'node-1',
      'spec.restartPolicy': 'Always',
      'spec.schedulerName': 'default-scheduler',
      'spec.serviceAccountName': 'default',
      'spec.hostNetwork': 'false',
      'status.phase': 'Running',
      'status.podIP': '10.0.0.7',
      'status.nominatedNodeName': '',
    });
    const hostNetwork = { ...pod, spec: { ...(pod['spec'] as object), hostNetwork: true } };
    expect(objectFieldValues(hostNetwork)['spec.hostNetwork']).toBe('true');
  });

  it('lets a field selector pick pods by node and phase', () => {
    const fields = parseFieldSelector(
      'spec.nodeName=node-1,status.phase!=Pending',
      supportedFieldsFor('Pod'),
    );
    expect(matchesFields(fields, objectFieldValues(pod))).toBe(true);
    const elsewhere = { ...pod, spec: { ...(pod['spec'] as object), nodeName: 'node-2' } };
    expect(matchesFields(fields, objectFieldValues(elsewhere))).toBe(false);
    const unscheduled = { ...pod, spec: { containers: [] } };
    expect(
      matchesFields(
        parseFieldSelector('spec.nodeName=', supportedFieldsFor('Pod')),
        objectFieldValues(unscheduled),
      ),
    ).toBe(true);
  });

  it('gives a core event its involvedObject fields', () => {
    const event: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'api-1.17f', namespace: 'orders' },
      involvedObject: {
        kind: 'Pod',
        name: 'api-1',
        namespace: 'orders',
        uid: 'u-1',
        apiVersion: 'v1',
        resourceVersion: '12',
        fieldPath: 'spec.containers{c}',
      },
      reason: 'BackOff',
      type: 'Warning',
      source: { component: 'kubelet' },
    };
    expect(objectFieldValues(event)).toMatchObject({
      'metadata.name': 'api-1.17f',
      'involvedObject.kind': 'Pod',
      'involvedObject.name': 'api-1',
      'involvedObject.namespace': 'orders',
      'involvedObject.uid': 'u-1',
      'involvedObject.apiVersion': 'v1',
      'involvedObject.resourceVersion': '12',
      'involvedObject.fieldPath': 'spec.containers{c}',
      reason: 'BackOff',
      type: 'Warning',
      source: 'kubelet',
      reportingComponent: '',
    });
    const fields = parseFieldSelector(
      'involvedObject.kind=Pod,involvedObject.name=api-1,type=Warning',
      supportedFieldsFor('Event'),
    );
    expect(matchesFields(fields, objectFieldValues(event))).toBe(true);
    const noSource = { ...event, source: {}, reportingComponent: 'kubelet-x' };
    expect(objectFieldValues(noSource)['source']).toBe('kubelet-x');
  });

  it('gives a secret its type and a plain kind only metadata', () => {
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'tls', namespace: 'orders' },
      type: 'kubernetes.io/tls',
    };
    expect(objectFieldValues(secret)).toEqual({
      'metadata.name': 'tls',
      'metadata.namespace': 'orders',
      type: 'kubernetes.io/tls',
    });
    const deployment: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'orders' },
      spec: { replicas: 2 },
      type: 'not-a-field',
    };
    expect(objectFieldValues(deployment)).toEqual({
      'metadata.name': 'api',
      'metadata.namespace': 'orders',
    });
  });

  it('gives services, namespaces, nodes, controllers and jobs their fields', () => {
    const obj = (apiVersion: string, kind: string, rest: Record<string, unknown>): KubeObject => ({
      apiVersion,
      kind,
      metadata: { name: 'x' },
      ...rest,
    });
    expect(
      objectFieldValues(
        obj('v1', 'Service', { spec: { type: 'ClusterIP', clusterIP: '10.96.0.1' } }),
      ),
    ).toMatchObject({ 'spec.type': 'ClusterIP', 'spec.clusterIP': '10.96.0.1' });
    expect(
      objectFieldValues(obj('v1', 'Namespace', { status: { phase: 'Active' } })),
    ).toMatchObject({ 'status.phase': 'Active' });
    expect(objectFieldValues(obj('v1', 'Node', { spec: { unschedulable: true } }))).toMatchObject({
      'spec.unschedulable': 'true',
    });
    expect(objectFieldValues(obj('v1', 'Node', {}))).toMatchObject({
      'spec.unschedulable': 'false',
    });
    expect(
      objectFieldValues(obj('v1', 'ReplicationController', { status: { replicas: 3 } })),
    ).toMatchObject({ 'status.replicas': '3' });
    expect(objectFieldValues(obj('batch/v1', 'Job', { status: {} }))).toMatchObject({
      'status.successful': '0',
    });
  });
});
