import { describe, expect, it } from 'vitest';
import type { FieldCause, KubeObject } from '../../lab/apiserver/types.js';
import {
  checkObject,
  denialMessage,
  invalidMessage,
  malformedMessage,
  strictDecodingMessage,
  validateObject,
  type ValidationContext,
} from '../../lab/apiserver/validation/index.js';
import { formatQuantity, parseQuantity, quantityError } from '../../src/quantity.js';

type Reason = FieldCause['reason'];
/** [field, reason] or [field, reason, exact message]. */
type Expected = [string, Reason] | [string, Reason, string];
/** Dotted paths (array indexes as numbers) to set; `undefined` deletes the field. */
type Changes = Record<string, unknown>;
type Case = [name: string, changes: Changes, expected: Expected[]];

function patch(base: KubeObject, changes: Changes): KubeObject {
  const obj = structuredClone(base);
  for (const [path, value] of Object.entries(changes)) {
    const keys = path.split('.');
    let cur = obj as Record<string, unknown>;
    for (const k of keys.slice(0, -1)) {
      cur[k] ??= {};
      cur = cur[k] as Record<string, unknown>;
    }
    const last = keys[keys.length - 1] ?? '';
    if (value === undefined) delete cur[last];
    else cur[last] = value;
  }
  return obj;
}

function expectCauses(causes: FieldCause[], expected: Expected[]): void {
  expect(causes.map((c) => [c.field, c.reason])).toEqual(expected.map(([f, r]) => [f, r]));
  expected.forEach(([, , message], i) => {
    if (message !== undefined) expect(causes[i]?.message).toBe(message);
  });
}

const CREATE: ValidationContext = { operation: 'create' };

/** One describe block per kind: the base object is valid, every case breaks exactly one rule. */
function kindTable(group: string, kind: string, base: KubeObject, cases: Case[]): void {
  describe(`${kind}${group ? `.${group}` : ''}`, () => {
    it('accepts the valid object', () => {
      expect(validateObject(group, kind, base, CREATE)).toEqual([]);
    });
    it.each(cases)('rejects %s', (_name, changes, expected) => {
      expectCauses(validateObject(group, kind, patch(base, changes), CREATE), expected);
    });
  });
}

const DNS1123_LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

describe('parseQuantity', () => {
  it.each([
    ['32Mi', 32 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['500m', 0.5],
    ['0.5', 0.5],
    ['1e3', 1000],
    ['128974848', 128974848],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['1k', 1000],
    ['1E', 1e18],
    ['.5', 0.5],
    ['+1', 1],
    ['-2Ki', -2048],
    ['100n', 1e-7],
    ['0.1n', 1e-9], // finer than nano rounds up
    ['0', 0],
  ])('reads %s as %d', (text, value) => {
    expect(parseQuantity(text)).toBe(value);
  });

  it.each(['', 'abc', '1KI', '1e', ' 1', '1.5.5', '1Mi5', '--1', '1ee3', '5 Mi'])(
    'rejects %j',
    (text) => {
      expect(parseQuantity(text)).toBeUndefined();
    },
  );

  it('compares equal amounts written differently as equal', () => {
    expect(parseQuantity('1Gi')).toBe(parseQuantity('1024Mi'));
    expect(parseQuantity('500m')).toBe(parseQuantity('0.5'));
    expect(parseQuantity('1e3')).toBe(parseQuantity('1k'));
    expect(parseQuantity('64Mi')!).toBeGreaterThan(parseQuantity('32Mi')!);
  });

  it.each([
    ['1.5Gi', '1536Mi'],
    ['0.5', '500m'],
    ['1000', '1k'],
    ['1000m', '1'],
    ['64Mi', '64Mi'],
    ['1e3', '1e3'],
    ['1.5e3', '1500'],
    ['0.1n', '1n'],
    ['2048Ki', '2Mi'],
    ['8Ei', '9223372036854775807'], // binary quantities are capped at 2^63-1
  ])('renders %s canonically as %s', (text, canonical) => {
    expect(formatQuantity(text)).toBe(canonical);
  });

  it('words errors like ParseQuantity', () => {
    expect(quantityError('abc')).toBe(
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    );
    expect(quantityError('1e')).toBe("unable to parse quantity's suffix");
  });
});

describe('invalidMessage', () => {
  it('formats one cause as errors.NewInvalid does, with the group after the kind', () => {
    const deployment = patch(DEPLOYMENT, {
      'spec.template.spec.containers.0.resources': {
        requests: { memory: '64Mi' },
        limits: { memory: '32Mi' },
      },
    });
    const causes = validateObject('apps', 'Deployment', deployment, CREATE);
    expect(invalidMessage('Deployment', 'apps', 'istiod', causes)).toBe(
      'Deployment.apps "istiod" is invalid: spec.template.spec.containers[0].resources.requests: ' +
        'Invalid value: "64Mi": must be less than or equal to memory limit of 32Mi',
    );
  });

  it('brackets several causes, drops repeats, and omits the core group', () => {
    const causes: FieldCause[] = [
      { reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value' },
      { reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value' },
      {
        reason: 'FieldValueInvalid',
        field: 'type',
        message: 'Invalid value: "x": field is immutable',
      },
    ];
    expect(invalidMessage('Secret', '', 's', causes)).toBe(
      'Secret "s" is invalid: [metadata.name: Required value, type: Invalid value: "x": field is immutable]',
    );
  });
});

// ---- core ----
const CONFIG_MAP: KubeObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings', namespace: 'lab', labels: { app: 'web' } },
  data: { 'app.yaml': 'x: 1' },
};

describe('ObjectMeta', () => {
  kindTable('', 'ConfigMap', CONFIG_MAP, [
    [
      'a missing name',
      { 'metadata.name': undefined },
      [['metadata.name', 'FieldValueRequired', 'Required value: name or generateName is required']],
    ],
    [
      'a name that is not a DNS subdomain',
      { 'metadata.name': 'Bad_Name' },
      [
        [
          'metadata.name',
          'FieldValueInvalid',
          `Invalid value: "Bad_Name": ${DNS1123_SUBDOMAIN_MSG}`,
        ],
      ],
    ],
    [
      'a missing namespace',
      { 'metadata.namespace': undefined },
      [['metadata.namespace', 'FieldValueRequired', 'Required value']],
    ],
    [
      'a label key with a bad prefix and a bad value',
      { 'metadata.labels': { 'Bad_/x': '-v-' } },
      [
        ['metadata.labels', 'FieldValueInvalid'],
        ['metadata.labels', 'FieldValueInvalid'],
      ],
    ],
    [
      'annotations over 256 KiB',
      { 'metadata.annotations': { big: 'x'.repeat(256 * 1024) } },
      [
        [
          'metadata.annotations',
          'FieldValueTooLong',
          'Too long: may not be more than 262144 bytes',
        ],
      ],
    ],
    [
      'an unknown metadata field',
      { 'metadata.labelz': {} },
      [['metadata.labelz', 'FieldValueUnknown', 'unknown field "metadata.labelz"']],
    ],
  ]);

  const stored = patch(CONFIG_MAP, {
    'metadata.uid': 'u-1',
    'metadata.creationTimestamp': '2024-01-01T00:00:00Z',
  });
  it.each<Case>([
    [
      'renaming',
      { 'metadata.name': 'other' },
      [['metadata.name', 'FieldValueInvalid', 'Invalid value: "other": field is immutable']],
    ],
    [
      'moving namespaces',
      { 'metadata.namespace': 'other' },
      [['metadata.namespace', 'FieldValueInvalid']],
    ],
    [
      'changing the uid',
      { 'metadata.uid': 'u-2' },
      [['metadata.uid', 'FieldValueInvalid', 'Invalid value: "u-2": field is immutable']],
    ],
    // The real server copies creationTimestamp from the stored object instead of rejecting.
    ['changing creationTimestamp', { 'metadata.creationTimestamp': '2025-01-01T00:00:00Z' }, []],
  ])('on update, %s', (_name, changes, expected) => {
    const causes = validateObject('', 'ConfigMap', patch(stored, changes), {
      operation: 'update',
      old: stored,
    });
    expectCauses(causes, expected);
  });
});

kindTable('', 'ConfigMap', CONFIG_MAP, [
  [
    'a key with a space',
    { data: { 'bad key': 'v' } },
    [
      [
        'data[bad key]',
        'FieldValueInvalid',
        `Invalid value: "bad key": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
      ],
    ],
  ],
  [
    'a key in both data and binaryData',
    { binaryData: { 'app.yaml': 'eDogMQ==' } },
    [
      [
        'data[app.yaml]',
        'FieldValueInvalid',
        'Invalid value: "app.yaml": duplicate of key present in binaryData',
      ],
    ],
  ],
  [
    'more than 1 MiB of data',
    { data: { big: 'x'.repeat(1024 * 1024 + 1) } },
    [['', 'FieldValueTooLong', 'Too long: may not be more than 1048576 bytes']],
  ],
]);

const SECRET: KubeObject = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'web-tls', namespace: 'lab' },
  type: 'kubernetes.io/tls',
  data: { 'tls.crt': 'Y2VydA==', 'tls.key': 'a2V5' },
};

kindTable('', 'Secret', SECRET, [
  [
    'a TLS secret without its key pair',
    { data: {} },
    [
      ['data[tls.crt]', 'FieldValueRequired', 'Required value'],
      ['data[tls.key]', 'FieldValueRequired', 'Required value'],
    ],
  ],
  ['an invalid data key', { 'data.a:b': 'eA==' }, [['data[a:b]', 'FieldValueInvalid']]],
  [
    'a stringData key that is invalid',
    { stringData: { '..x': 'v' } },
    [['data[..x]', 'FieldValueInvalid']],
  ],
  [
    'more than 1 MiB of decoded data',
    { 'data.big': Buffer.alloc(1024 * 1024).toString('base64') },
    [['data', 'FieldValueTooLong', 'Too long: may not be more than 1048576 bytes']],
  ],
  [
    'a value that is not base64',
    { data: { 'tls.crt': 'Y2VydA==', 'tls.key': 'a2V5!' } },
    [['data[tls.key]', 'FieldValueInvalid', 'illegal base64 data at input byte 4']],
  ],
]);

describe('Secret decoding and updates', () => {
  it('reports bad base64 as a decode error, like the real 400', () => {
    const bad = patch(SECRET, { data: { 'tls.crt': 'Y2VydA==', 'tls.key': 'YQ=' } });
    const verdict = checkObject('', 'Secret', bad, CREATE);
    expect(verdict.invalid).toEqual([]);
    expect(malformedMessage('Secret', 'v1', verdict.malformed)).toBe(
      'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3',
    );
  });

  it('keeps the type immutable', () => {
    const changed = patch(SECRET, { type: 'Opaque' });
    expectCauses(validateObject('', 'Secret', changed, { operation: 'update', old: SECRET }), [
      ['type', 'FieldValueInvalid', 'Invalid value: "Opaque": field is immutable'],
    ]);
  });

  it('keeps data immutable once immutable is set', () => {
    const old = patch(SECRET, { immutable: true });
    const changed = patch(old, { data: { 'tls.crt': 'Y2VydA==', 'tls.key': 'bmV3' } });
    expectCauses(validateObject('', 'Secret', changed, { operation: 'update', old }), [
      ['data', 'FieldValueForbidden', 'Forbidden: field is immutable when `immutable` is set'],
    ]);
  });
});

kindTable(
  '',
  'ServiceAccount',
  {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'istiod', namespace: 'istio-system' },
  },
  [
    ['an invalid name', { 'metadata.name': 'Istiod' }, [['metadata.name', 'FieldValueInvalid']]],
    [
      'an unknown top-level field',
      { secretz: [] },
      [['secretz', 'FieldValueUnknown', 'unknown field "secretz"']],
    ],
  ],
);

kindTable(
  '',
  'Namespace',
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } },
  [
    [
      'a name with dots (a DNS-1123 label is required)',
      { 'metadata.name': 'istio.system' },
      [
        [
          'metadata.name',
          'FieldValueInvalid',
          'Invalid value: "istio.system": must not contain dots',
        ],
      ],
    ],
    [
      'a finalizer that is neither standard nor qualified',
      { 'spec.finalizers': ['custom'] },
      [
        [
          'spec.finalizers',
          'FieldValueInvalid',
          'Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
        ],
      ],
    ],
  ],
);

const EVENT: KubeObject = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'web.17a', namespace: 'lab' },
  involvedObject: { kind: 'Pod', name: 'web', namespace: 'lab' },
  reason: 'Started',
  message: 'Started container',
  type: 'Normal',
};

kindTable('', 'Event', EVENT, [
  [
    'an involved object in another namespace',
    { 'involvedObject.namespace': 'other' },
    [
      [
        'involvedObject.namespace',
        'FieldValueInvalid',
        'Invalid value: "other": does not match event.namespace',
      ],
    ],
  ],
  [
    'a missing name (checked once the event itself is valid)',
    { 'metadata.name': undefined },
    [['metadata.name', 'FieldValueRequired']],
  ],
  [
    'a new-style event without reportingComponent',
    { eventTime: '2024-01-01T00:00:00.000000Z', action: 'Start', reportingInstance: 'kubelet-1' },
    [
      ['reportingController', 'FieldValueRequired'],
      ['reportingController', 'FieldValueInvalid'],
      ['reportingController', 'FieldValueInvalid'],
    ],
  ],
]);

const SERVICE: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'lab' },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
};

kindTable('', 'Service', SERVICE, [
  [
    'a name that is not a DNS-1035 label',
    { 'metadata.name': '1web' },
    [
      [
        'metadata.name',
        'FieldValueInvalid',
        `Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
      ],
    ],
  ],
  ['no ports', { 'spec.ports': [] }, [['spec.ports', 'FieldValueRequired']]],
  [
    'port 0',
    { 'spec.ports.0.port': 0 },
    [
      [
        'spec.ports[0].port',
        'FieldValueInvalid',
        'Invalid value: 0: must be between 1 and 65535, inclusive',
      ],
    ],
  ],
  [
    'port 70000',
    { 'spec.ports.0.port': 70000, 'spec.ports.0.targetPort': 'http' },
    [['spec.ports[0].port', 'FieldValueInvalid']],
  ],
  [
    'an unknown type',
    { 'spec.type': 'Internal' },
    [
      [
        'spec.type',
        'FieldValueNotSupported',
        'Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
      ],
    ],
  ],
  [
    'two ports without names',
    { 'spec.ports': [{ port: 80 }, { port: 81 }] },
    [
      ['spec.ports[0].name', 'FieldValueRequired'],
      ['spec.ports[1].name', 'FieldValueRequired'],
    ],
  ],
  [
    'duplicate port names and numbers',
    {
      'spec.ports': [
        { name: 'http', port: 80 },
        { name: 'http', port: 80 },
      ],
    },
    [
      ['spec.ports[1].name', 'FieldValueDuplicate', 'Duplicate value: "http"'],
      [
        'spec.ports[1]',
        'FieldValueDuplicate',
        'Duplicate value: {"Name":"","Protocol":"TCP","AppProtocol":null,"Port":80,"TargetPort":0,"NodePort":0}',
      ],
    ],
  ],
  [
    'an unsupported protocol',
    { 'spec.ports.0.protocol': 'ICMP' },
    [
      [
        'spec.ports[0].protocol',
        'FieldValueNotSupported',
        'Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
      ],
    ],
  ],
  [
    'a nodePort on a ClusterIP service',
    { 'spec.ports.0.nodePort': 30080 },
    [
      [
        'spec.ports[0].nodePort',
        'FieldValueForbidden',
        "Forbidden: may not be used when `type` is 'ClusterIP'",
      ],
    ],
  ],
]);

const POD: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'lab' },
  spec: {
    volumes: [{ name: 'config', configMap: { name: 'settings' } }],
    containers: [
      {
        name: 'web',
        image: 'nginx:1.27',
        ports: [{ name: 'http', containerPort: 8080 }],
        env: [{ name: 'MODE', value: 'lab' }],
        volumeMounts: [{ name: 'config', mountPath: '/etc/web' }],
        resources: {
          requests: { cpu: '100m', memory: '64Mi' },
          limits: { cpu: '1', memory: '128Mi' },
        },
      },
    ],
  },
};

kindTable('', 'Pod', POD, [
  ['no containers', { 'spec.containers': [] }, [['spec.containers', 'FieldValueRequired']]],
  [
    'a container name that is not a DNS label',
    { 'spec.containers.0.name': 'Web' },
    [
      [
        'spec.containers[0].name',
        'FieldValueInvalid',
        `Invalid value: "Web": ${DNS1123_LABEL_MSG}`,
      ],
    ],
  ],
  [
    'duplicate container names',
    { 'spec.containers.1': { name: 'web', image: 'busybox' } },
    [['spec.containers[1].name', 'FieldValueDuplicate', 'Duplicate value: "web"']],
  ],
  [
    'a container without an image',
    { 'spec.containers.0.image': undefined },
    [['spec.containers[0].image', 'FieldValueRequired']],
  ],
  [
    'a container port out of range',
    { 'spec.containers.0.ports.0.containerPort': 70000 },
    [
      [
        'spec.containers[0].ports[0].containerPort',
        'FieldValueInvalid',
        'Invalid value: 70000: must be between 1 and 65535, inclusive',
      ],
    ],
  ],
  [
    'duplicate container port names',
    { 'spec.containers.0.ports.1': { name: 'http', containerPort: 9090 } },
    [['spec.containers[0].ports[1].name', 'FieldValueDuplicate']],
  ],
  [
    'an env name with "="',
    { 'spec.containers.0.env.0.name': 'A=B' },
    [
      [
        'spec.containers[0].env[0].name',
        'FieldValueInvalid',
        `Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than '='`,
      ],
    ],
  ],
  [
    'a cpu request above its limit',
    { 'spec.containers.0.resources.requests.cpu': '1500m' },
    [
      [
        'spec.containers[0].resources.requests',
        'FieldValueInvalid',
        'Invalid value: "1500m": must be less than or equal to cpu limit of 1',
      ],
    ],
  ],
  [
    'a negative quantity',
    { 'spec.containers.0.resources.limits.memory': '-1Mi' },
    [
      [
        'spec.containers[0].resources.limits[memory]',
        'FieldValueInvalid',
        'Invalid value: "-1Mi": must be greater than or equal to 0',
      ],
      [
        'spec.containers[0].resources.requests',
        'FieldValueInvalid',
        'Invalid value: "64Mi": must be less than or equal to memory limit of -1Mi',
      ],
    ],
  ],
  [
    'a resource that is not for containers',
    { 'spec.containers.0.resources.limits.pods': '1' },
    [
      [
        'spec.containers[0].resources.limits[pods]',
        'FieldValueInvalid',
        'Invalid value: "pods": must be a standard resource for containers',
      ],
    ],
  ],
  [
    'an unknown restart policy',
    { 'spec.restartPolicy': 'Sometimes' },
    [
      [
        'spec.restartPolicy',
        'FieldValueNotSupported',
        'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      ],
    ],
  ],
  [
    'duplicate volume names',
    { 'spec.volumes.1': { name: 'config', emptyDir: {} } },
    [['spec.volumes[1].name', 'FieldValueDuplicate', 'Duplicate value: "config"']],
  ],
  [
    'a mount of a volume that does not exist',
    { 'spec.containers.0.volumeMounts.0.name': 'data' },
    [['spec.containers[0].volumeMounts[0].name', 'FieldValueNotFound', 'Not found: "data"']],
  ],
  [
    'a quantity that does not parse',
    { 'spec.containers.0.resources.limits.memory': '1K' },
    [
      [
        'spec.containers[0].resources.limits[memory]',
        'FieldValueInvalid',
        "unable to parse quantity's suffix",
      ],
    ],
  ],
]);

describe('Pod decoding', () => {
  it('reports an unparseable quantity as the 400 the decoder returns', () => {
    const pod = patch(POD, { 'spec.containers.0.resources.limits.memory': 'lots' });
    const verdict = checkObject('', 'Pod', pod, CREATE);
    expect(verdict.invalid).toEqual([]);
    expect(malformedMessage('Pod', 'v1', verdict.malformed)).toBe(
      `Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    );
  });
});

// ---- apps ----
const DEPLOYMENT: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'istiod', namespace: 'istio-system' },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'istiod' } },
    template: {
      metadata: { labels: { app: 'istiod', version: 'v1' } },
      spec: {
        containers: [
          {
            name: 'discovery',
            image: 'istio/pilot:1.24',
            resources: { requests: { memory: '32Mi' }, limits: { memory: '64Mi' } },
          },
        ],
      },
    },
  },
};

kindTable('apps', 'Deployment', DEPLOYMENT, [
  [
    'a memory request above its limit',
    { 'spec.template.spec.containers.0.resources.requests.memory': '128Mi' },
    [
      [
        'spec.template.spec.containers[0].resources.requests',
        'FieldValueInvalid',
        'Invalid value: "128Mi": must be less than or equal to memory limit of 64Mi',
      ],
    ],
  ],
  [
    'a missing selector (which then matches nothing)',
    { 'spec.selector': undefined },
    [
      ['spec.selector', 'FieldValueRequired', 'Required value'],
      [
        'spec.template.metadata.labels',
        'FieldValueInvalid',
        'Invalid value: {"app":"istiod","version":"v1"}: `selector` does not match template `labels`',
      ],
    ],
  ],
  [
    'an empty selector',
    { 'spec.selector': {} },
    [
      [
        'spec.selector',
        'FieldValueInvalid',
        'Invalid value: {}: empty selector is invalid for deployment',
      ],
    ],
  ],
  [
    'a selector that does not match the template labels',
    { 'spec.selector.matchLabels.app': 'pilot' },
    [['spec.template.metadata.labels', 'FieldValueInvalid']],
  ],
  [
    'a selector expression with an unknown operator',
    { 'spec.selector.matchExpressions': [{ key: 'app', operator: 'Like', values: ['x'] }] },
    [
      [
        'spec.selector.matchExpressions[0].operator',
        'FieldValueInvalid',
        'Invalid value: "Like": not a valid selector operator',
      ],
      [
        'spec.selector',
        'FieldValueInvalid',
        'Invalid value: {"matchLabels":{"app":"istiod"},"matchExpressions":[{"key":"app","operator":"Like","values":["x"]}]}: invalid label selector',
      ],
    ],
  ],
  [
    'negative replicas',
    { 'spec.replicas': -1 },
    [
      [
        'spec.replicas',
        'FieldValueInvalid',
        'Invalid value: -1: must be greater than or equal to 0',
      ],
    ],
  ],
  [
    'an unknown strategy type',
    { 'spec.strategy': { type: 'BlueGreen' } },
    [
      [
        'spec.strategy',
        'FieldValueNotSupported',
        'Unsupported value: {"Type":"BlueGreen","RollingUpdate":null}: supported values: "Recreate", "RollingUpdate"',
      ],
    ],
  ],
  [
    'Recreate with rollingUpdate parameters',
    { 'spec.strategy': { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } },
    [
      [
        'spec.strategy.rollingUpdate',
        'FieldValueForbidden',
        "Forbidden: may not be specified when strategy `type` is 'Recreate'",
      ],
    ],
  ],
  [
    'maxUnavailable and maxSurge both zero',
    {
      'spec.strategy': {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: 0, maxSurge: '0%' },
      },
    },
    [
      [
        'spec.strategy.rollingUpdate.maxUnavailable',
        'FieldValueInvalid',
        'Invalid value: 0: may not be 0 when `maxSurge` is 0',
      ],
    ],
  ],
  [
    'maxUnavailable above 100%',
    { 'spec.strategy.rollingUpdate': { maxUnavailable: '120%' } },
    [
      [
        'spec.strategy.rollingUpdate.maxUnavailable',
        'FieldValueInvalid',
        'Invalid value: "120%": must not be greater than 100%',
      ],
    ],
  ],
  [
    'maxSurge that is neither a number nor a percentage',
    { 'spec.strategy.rollingUpdate': { maxSurge: 'two' } },
    [
      [
        'spec.strategy.rollingUpdate.maxSurge',
        'FieldValueInvalid',
        `Invalid value: "two": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`,
      ],
    ],
  ],
  [
    'progressDeadlineSeconds not above minReadySeconds',
    { 'spec.minReadySeconds': 30, 'spec.progressDeadlineSeconds': 30 },
    [
      [
        'spec.progressDeadlineSeconds',
        'FieldValueInvalid',
        'Invalid value: 30: must be greater than minReadySeconds',
      ],
    ],
  ],
  [
    'minReadySeconds above the default progress deadline',
    { 'spec.minReadySeconds': 601 },
    [
      [
        'spec.progressDeadlineSeconds',
        'FieldValueInvalid',
        'Invalid value: 600: must be greater than minReadySeconds',
      ],
    ],
  ],
  [
    'a negative revisionHistoryLimit',
    { 'spec.revisionHistoryLimit': -1 },
    [['spec.revisionHistoryLimit', 'FieldValueInvalid']],
  ],
  [
    'a template restartPolicy other than Always',
    { 'spec.template.spec.restartPolicy': 'Never' },
    [
      [
        'spec.template.spec.restartPolicy',
        'FieldValueNotSupported',
        'Unsupported value: "Never": supported values: "Always"',
      ],
    ],
  ],
  [
    'template labels that are invalid',
    { 'spec.template.metadata.labels.version': 'v1!' },
    [['spec.template.labels', 'FieldValueInvalid']],
  ],
  [
    'a template without containers',
    { 'spec.template.spec.containers': [] },
    [['spec.template.spec.containers', 'FieldValueRequired']],
  ],
]);

describe('Deployment updates', () => {
  it('keeps the apps/v1 selector immutable', () => {
    const changed = patch(DEPLOYMENT, {
      'spec.selector.matchLabels': { app: 'istiod', version: 'v1' },
    });
    expectCauses(
      validateObject('apps', 'Deployment', changed, { operation: 'update', old: DEPLOYMENT }),
      [
        [
          'spec.selector',
          'FieldValueInvalid',
          'Invalid value: {"matchLabels":{"app":"istiod","version":"v1"}}: field is immutable',
        ],
      ],
    );
  });

  it('allows changing everything else', () => {
    const changed = patch(DEPLOYMENT, { 'spec.replicas': 5 });
    expect(
      validateObject('apps', 'Deployment', changed, { operation: 'update', old: DEPLOYMENT }),
    ).toEqual([]);
  });
});

const REPLICA_SET: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'istiod-5f7', namespace: 'istio-system' },
  spec: {
    replicas: 1,
    selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['istiod'] }] },
    template: {
      metadata: { labels: { app: 'istiod' } },
      spec: { containers: [{ name: 'discovery', image: 'istio/pilot:1.24' }] },
    },
  },
};

kindTable('apps', 'ReplicaSet', REPLICA_SET, [
  ['negative replicas', { 'spec.replicas': -3 }, [['spec.replicas', 'FieldValueInvalid']]],
  [
    'a selector that does not match the template labels',
    { 'spec.template.metadata.labels.app': 'web' },
    [
      [
        'spec.template.metadata.labels',
        'FieldValueInvalid',
        'Invalid value: {"app":"web"}: `selector` does not match template `labels`',
      ],
    ],
  ],
  [
    'an In expression without values',
    { 'spec.selector.matchExpressions.0.values': [] },
    [
      [
        'spec.selector.matchExpressions[0].values',
        'FieldValueRequired',
        "Required value: must be specified when `operator` is 'In' or 'NotIn'",
      ],
      ['spec.selector', 'FieldValueInvalid'],
    ],
  ],
]);

// ---- networking.k8s.io ----
const NETWORK_POLICY: KubeObject = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'allow-web', namespace: 'lab' },
  spec: {
    podSelector: { matchLabels: { app: 'web' } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [
      {
        from: [
          { namespaceSelector: { matchLabels: { team: 'a' } } },
          { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } },
        ],
        ports: [{ protocol: 'TCP', port: 8080, endPort: 8090 }, { port: 'http' }],
      },
    ],
    egress: [{ to: [{ podSelector: {} }] }],
  },
};

kindTable('networking.k8s.io', 'NetworkPolicy', NETWORK_POLICY, [
  [
    'port 0',
    { 'spec.ingress.0.ports.0.port': 0, 'spec.ingress.0.ports.0.endPort': undefined },
    [
      [
        'spec.ingress[0].ports[0].port',
        'FieldValueInvalid',
        'Invalid value: 0: must be between 1 and 65535, inclusive',
      ],
    ],
  ],
  [
    'endPort below port',
    { 'spec.ingress.0.ports.0.endPort': 80 },
    [
      [
        'spec.ingress[0].ports[0].endPort',
        'FieldValueInvalid',
        'Invalid value: 8080: must be greater than or equal to `port`',
      ],
    ],
  ],
  [
    'endPort with a named port',
    { 'spec.ingress.0.ports.1.endPort': 9000 },
    [
      [
        'spec.ingress[0].ports[1].endPort',
        'FieldValueInvalid',
        'Invalid value: 9000: may not be specified when `port` is non-numeric',
      ],
    ],
  ],
  [
    'an invalid named port',
    { 'spec.ingress.0.ports.1.port': 'HTTP' },
    [
      [
        'spec.ingress[0].ports[1].port',
        'FieldValueInvalid',
        'Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      ],
      [
        'spec.ingress[0].ports[1].port',
        'FieldValueInvalid',
        'Invalid value: "HTTP": must contain at least one letter (a-z)',
      ],
    ],
  ],
  [
    'an unknown protocol',
    { 'spec.ingress.0.ports.0.protocol': 'ICMP' },
    [
      [
        'spec.ingress[0].ports[0].protocol',
        'FieldValueNotSupported',
        'Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
      ],
    ],
  ],
  [
    'an unknown policy type',
    { 'spec.policyTypes': ['Ingress', 'Both'] },
    [
      [
        'spec.policyTypes[1]',
        'FieldValueNotSupported',
        'Unsupported value: "Both": supported values: "Ingress", "Egress"',
      ],
    ],
  ],
  [
    'a malformed CIDR',
    { 'spec.ingress.0.from.1.ipBlock': { cidr: '10.0.0.0/33' } },
    [
      [
        'spec.ingress[0].from[1].ipBlock.cidr',
        'FieldValueInvalid',
        'Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      ],
    ],
  ],
  [
    'an except outside the CIDR',
    { 'spec.ingress.0.from.1.ipBlock.except': ['192.168.0.0/16'] },
    [
      [
        'spec.ingress[0].from[1].ipBlock.except[0]',
        'FieldValueInvalid',
        'Invalid value: "192.168.0.0/16": must be a strict subset of `cidr`',
      ],
    ],
  ],
  [
    'a peer with nothing in it',
    { 'spec.egress.0.to.0': {} },
    [['spec.egress[0].to[0]', 'FieldValueRequired', 'Required value: must specify a peer']],
  ],
  [
    'an ipBlock alongside a selector',
    { 'spec.ingress.0.from.1.podSelector': {} },
    [
      [
        'spec.ingress[0].from[1]',
        'FieldValueForbidden',
        'Forbidden: may not specify both ipBlock and another peer',
      ],
    ],
  ],
  [
    'an invalid pod selector label',
    { 'spec.podSelector.matchLabels.app': 'web!' },
    [['spec.podSelector.matchLabels', 'FieldValueInvalid']],
  ],
]);

// ---- admissionregistration.k8s.io ----
const MUTATING_WEBHOOK: KubeObject = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'MutatingWebhookConfiguration',
  metadata: { name: 'istio-sidecar-injector' },
  webhooks: [
    {
      name: 'namespace.sidecar-injector.istio.io',
      clientConfig: {
        service: { name: 'istiod', namespace: 'istio-system', path: '/inject', port: 443 },
      },
      rules: [
        { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] },
      ],
      sideEffects: 'None',
      admissionReviewVersions: ['v1beta1', 'v1'],
      failurePolicy: 'Fail',
    },
  ],
};

kindTable('admissionregistration.k8s.io', 'MutatingWebhookConfiguration', MUTATING_WEBHOOK, [
  [
    'a webhook name with fewer than three segments',
    { 'webhooks.0.name': 'sidecar.istio' },
    [
      [
        'webhooks[0].name',
        'FieldValueInvalid',
        'Invalid value: "sidecar.istio": should be a domain with at least three segments separated by dots',
      ],
    ],
  ],
  [
    'neither url nor service',
    { 'webhooks.0.clientConfig': {} },
    [
      [
        'webhooks[0].clientConfig',
        'FieldValueRequired',
        'Required value: exactly one of url or service is required',
      ],
    ],
  ],
  [
    'both url and service',
    { 'webhooks.0.clientConfig.url': 'https://istiod.example.com/inject' },
    [['webhooks[0].clientConfig', 'FieldValueRequired']],
  ],
  [
    'a plain-http url',
    { 'webhooks.0.clientConfig': { url: 'http://istiod.example.com/inject' } },
    [
      [
        'webhooks[0].clientConfig.url',
        'FieldValueInvalid',
        `Invalid value: "http": 'https' is the only allowed URL scheme; desired format: https://host[/path]`,
      ],
    ],
  ],
  [
    'a missing sideEffects',
    { 'webhooks.0.sideEffects': undefined },
    [
      [
        'webhooks[0].sideEffects',
        'FieldValueRequired',
        'Required value: must specify one of None, NoneOnDryRun',
      ],
    ],
  ],
  [
    'sideEffects Some',
    { 'webhooks.0.sideEffects': 'Some' },
    [
      [
        'webhooks[0].sideEffects',
        'FieldValueNotSupported',
        'Unsupported value: "Some": supported values: "None", "NoneOnDryRun"',
      ],
    ],
  ],
  [
    'an unknown failurePolicy',
    { 'webhooks.0.failurePolicy': 'Retry' },
    [
      [
        'webhooks[0].failurePolicy',
        'FieldValueNotSupported',
        'Unsupported value: "Retry": supported values: "Fail", "Ignore"',
      ],
    ],
  ],
  [
    'no admissionReviewVersions',
    { 'webhooks.0.admissionReviewVersions': [] },
    [
      [
        'webhooks[0].admissionReviewVersions',
        'FieldValueRequired',
        'Required value: must specify one of v1, v1beta1, v1alpha1',
      ],
    ],
  ],
  [
    'a timeout above 30s',
    { 'webhooks.0.timeoutSeconds': 31 },
    [
      [
        'webhooks[0].timeoutSeconds',
        'FieldValueInvalid',
        'Invalid value: 31: the timeout value must be between 1 and 30 seconds',
      ],
    ],
  ],
  [
    'a rule without operations',
    { 'webhooks.0.rules.0.operations': [] },
    [['webhooks[0].rules[0].operations', 'FieldValueRequired']],
  ],
]);

// ---- security.istio.io ----
const AUTHORIZATION_POLICY: KubeObject = {
  apiVersion: 'security.istio.io/v1',
  kind: 'AuthorizationPolicy',
  metadata: { name: 'httpbin', namespace: 'foo' },
  spec: {
    selector: { matchLabels: { app: 'httpbin' } },
    action: 'ALLOW',
    rules: [
      {
        from: [
          { source: { principals: ['cluster.local/ns/default/sa/sleep'] } },
          { source: { namespaces: ['test'] } },
        ],
        to: [{ operation: { methods: ['GET'], paths: ['/info*'], ports: ['8000'] } }],
        when: [{ key: 'request.auth.claims[iss]', values: ['https://accounts.google.com'] }],
      },
    ],
  },
};

kindTable('security.istio.io', 'AuthorizationPolicy', AUTHORIZATION_POLICY, [
  [
    'an unknown action (enum values in the CRD order)',
    { 'spec.action': 'BLOCK' },
    [
      [
        'spec.action',
        'FieldValueNotSupported',
        'Unsupported value: "BLOCK": supported values: "ALLOW", "DENY", "AUDIT", "CUSTOM"',
      ],
      [
        '<nil>',
        'FieldValueInvalid',
        'Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
      ],
    ],
  ],
  [
    'unknown fields at any depth',
    { 'spec.actions': 'ALLOW', 'spec.rules.0.from.0.source.principal': ['x'] },
    [
      ['spec.actions', 'FieldValueUnknown', 'unknown field "spec.actions"'],
      [
        'spec.rules[0].from[0].source.principal',
        'FieldValueUnknown',
        'unknown field "spec.rules[0].from[0].source.principal"',
      ],
    ],
  ],
  [
    'a string where a list belongs',
    { 'spec.rules.0.to.0.operation.methods': 'GET' },
    [
      [
        'spec.rules[0].to[0].operation.methods',
        'FieldValueTypeInvalid',
        'Invalid value: "string": spec.rules[0].to[0].operation.methods in body must be of type array: "string"',
      ],
      ['<nil>', 'FieldValueInvalid'],
    ],
  ],
  [
    'a selector and a targetRef together',
    { 'spec.targetRef': { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' } },
    [
      [
        'spec',
        'FieldValueInvalid',
        'Invalid value: "object": only one of targetRefs or selector can be set',
      ],
    ],
  ],
  [
    'a provider without the CUSTOM action',
    { 'spec.provider': { name: 'ext-authz' } },
    [
      [
        'spec.provider',
        'FieldValueInvalid',
        '`provider` must not be with non CUSTOM action, found ALLOW',
      ],
    ],
  ],
  [
    'CUSTOM without a provider name',
    { 'spec.action': 'CUSTOM', 'spec.rules.0.from': undefined, 'spec.rules.0.when': undefined },
    [['spec.provider.name', 'FieldValueInvalid', '`provider.name` must not be empty']],
  ],
  [
    'DENY without rules',
    { 'spec.action': 'DENY', 'spec.rules': undefined },
    [['spec.rules', 'FieldValueInvalid']],
  ],
  [
    'an empty source',
    { 'spec.rules.0.from.1.source': {} },
    [
      [
        'spec.rules[0].from[1].source',
        'FieldValueInvalid',
        '`from.source` must not be empty, found at rule 0',
      ],
    ],
  ],
  [
    'a bad IP block',
    { 'spec.rules.0.from.1.source': { ipBlocks: ['10.0.0.300'] } },
    [['spec.rules[0].from[1].source.ipBlocks', 'FieldValueInvalid', 'bad IP address (10.0.0.300)']],
  ],
  [
    'a port that is not a number',
    { 'spec.rules.0.to.0.operation.ports': ['http'] },
    [
      [
        'spec.rules[0].to[0].operation.ports',
        'FieldValueInvalid',
        'bad port (http): strconv.ParseUint: parsing "http": invalid syntax',
      ],
    ],
  ],
  [
    'a condition without values',
    { 'spec.rules.0.when.0.values': undefined },
    [
      [
        'spec.rules[0].when[0]',
        'FieldValueInvalid',
        'at least one of `values` or `notValues` must be set for key request.auth.claims[iss]',
      ],
    ],
  ],
  [
    'a condition on an unknown attribute',
    { 'spec.rules.0.when.0.key': 'request.color' },
    [
      [
        'spec.rules[0].when[0].values',
        'FieldValueInvalid',
        'invalid `value` for `key` request.color: unknown attribute: request.color',
      ],
      // Upstream checks notValues too, even when there are none.
      [
        'spec.rules[0].when[0].notValues',
        'FieldValueInvalid',
        'invalid `notValue` for `key` request.color: unknown attribute: request.color',
      ],
    ],
  ],
  [
    'a condition without a key',
    { 'spec.rules.0.when.0.key': undefined },
    [['spec.rules[0].when[0].key', 'FieldValueRequired']],
  ],
]);

describe('AuthorizationPolicy responses', () => {
  it('answers unknown fields under fieldValidation=Strict with a strict decoding error', () => {
    const ap = patch(AUTHORIZATION_POLICY, { 'spec.actions': 'DENY' });
    const verdict = checkObject('security.istio.io', 'AuthorizationPolicy', ap, CREATE);
    expect(strictDecodingMessage('AuthorizationPolicy', 'v1', verdict.unknown)).toBe(
      'AuthorizationPolicy in version "v1" cannot be handled as a AuthorizationPolicy: strict decoding error: unknown field "spec.actions"',
    );
  });

  it("words webhook denials as Istio's webhook does", () => {
    const ap = patch(AUTHORIZATION_POLICY, {
      'spec.provider': { name: 'ext-authz' },
      'spec.rules.0.to.0.operation.ports': ['99999'],
    });
    const verdict = checkObject('security.istio.io', 'AuthorizationPolicy', ap, CREATE);
    expect(verdict.invalid).toEqual([]);
    expect(denialMessage('AuthorizationPolicy', 'httpbin', 'foo', verdict.denied)).toBe(
      'admission webhook "validation.istio.io" denied the request: configuration is invalid: 2 errors occurred:\n' +
        '\t* invalid policy httpbin.foo: `provider` must not be with non CUSTOM action, found ALLOW\n' +
        '\t* invalid policy httpbin.foo: bad port (99999): <nil>\n\n',
    );
  });

  it('validates v1beta1 with the same schema', () => {
    const beta = patch(AUTHORIZATION_POLICY, {
      apiVersion: 'security.istio.io/v1beta1',
      'spec.foo': 1,
    });
    expectCauses(validateObject('security.istio.io', 'AuthorizationPolicy', beta, CREATE), [
      ['spec.foo', 'FieldValueUnknown'],
    ]);
  });
});

// ---- networking.istio.io ----
const GATEWAY: KubeObject = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'Gateway',
  metadata: { name: 'ingress', namespace: 'istio-system' },
  spec: {
    selector: { istio: 'ingressgateway' },
    servers: [
      {
        port: { number: 80, name: 'http', protocol: 'HTTP' },
        hosts: ['*'],
        tls: { httpsRedirect: true },
      },
      {
        port: { number: 443, name: 'https', protocol: 'HTTPS' },
        hosts: ['bookinfo/*.example.com'],
        tls: { mode: 'SIMPLE', credentialName: 'example-cert' },
      },
    ],
  },
};

kindTable('networking.istio.io', 'Gateway', GATEWAY, [
  [
    'a misspelled port field',
    { 'spec.servers.0.port.nmber': 80 },
    [
      [
        'spec.servers[0].port.nmber',
        'FieldValueUnknown',
        'unknown field "spec.servers[0].port.nmber"',
      ],
    ],
  ],
  [
    'a server without hosts',
    { 'spec.servers.0.hosts': undefined },
    [['spec.servers[0].hosts', 'FieldValueRequired', 'Required value']],
  ],
  [
    'a port without a name',
    { 'spec.servers.0.port.name': undefined },
    [['spec.servers[0].port.name', 'FieldValueRequired']],
  ],
  [
    'an unknown TLS mode',
    { 'spec.servers.1.tls.mode': 'STRICT' },
    [
      [
        'spec.servers[1].tls.mode',
        'FieldValueNotSupported',
        'Unsupported value: "STRICT": supported values: "PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"',
      ],
      ['<nil>', 'FieldValueInvalid'],
    ],
  ],
  [
    'a negative port number',
    { 'spec.servers.0.port.number': -1 },
    [
      [
        'spec.servers[0].port.number',
        'FieldValueInvalid',
        'Invalid value: -1: spec.servers[0].port.number in body should be greater than or equal to 0',
      ],
    ],
  ],
  [
    'a port number as a string',
    { 'spec.servers.0.port.number': '80' },
    [
      [
        'spec.servers[0].port.number',
        'FieldValueTypeInvalid',
        'Invalid value: "string": spec.servers[0].port.number in body must be of type integer: "string"',
      ],
      ['<nil>', 'FieldValueInvalid'],
    ],
  ],
  [
    'a port number above 65535',
    { 'spec.servers.0.port.number': 70000 },
    [
      [
        'spec.servers[0].port',
        'FieldValueInvalid',
        'port number 70000 must be in the range 1..65535',
      ],
    ],
  ],
  [
    'SIMPLE TLS without any certificate',
    { 'spec.servers.1.tls': { mode: 'SIMPLE' } },
    [
      ['spec.servers[1].tls', 'FieldValueInvalid', 'SIMPLE TLS requires a server certificate'],
      ['spec.servers[1].tls', 'FieldValueInvalid', 'SIMPLE TLS requires a private key'],
    ],
  ],
  [
    'MUTUAL TLS with inline certificates but no CA bundle',
    {
      'spec.servers.1.tls': {
        mode: 'MUTUAL',
        serverCertificate: '/etc/certs/c.pem',
        privateKey: '/etc/certs/k.pem',
      },
    },
    [['spec.servers[1].tls', 'FieldValueInvalid', 'MUTUAL TLS requires a client CA bundle']],
  ],
  [
    'credentialName and credentialNames together',
    { 'spec.servers.1.tls.credentialNames': ['a', 'b'] },
    [
      [
        'spec.servers[1].tls',
        'FieldValueInvalid',
        'Invalid value: "object": only one of credentialName or credentialNames can be set',
      ],
    ],
  ],
  [
    'an HTTPS server without TLS settings',
    { 'spec.servers.1.tls': undefined },
    [
      [
        'spec.servers[1]',
        'FieldValueInvalid',
        'server must have TLS settings for HTTPS/TLS protocols',
      ],
    ],
  ],
  [
    'an unsupported protocol',
    { 'spec.servers.0.port.protocol': 'QUIC' },
    [
      [
        'spec.servers[0].port',
        'FieldValueInvalid',
        'invalid protocol "QUIC", supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP',
      ],
    ],
  ],
  [
    'duplicate port names',
    { 'spec.servers.1.port.name': 'http' },
    [
      [
        'spec.servers[1].port.name',
        'FieldValueInvalid',
        'port names in servers must be unique: duplicate name http',
      ],
    ],
  ],
  [
    'a name with dots',
    { 'metadata.name': 'ingress.v2' },
    [['metadata.name', 'FieldValueInvalid', 'invalid gateway name: "ingress.v2"']],
  ],
]);

describe('Gateway responses', () => {
  it('lists several webhook errors the way hashicorp/multierror prints them', () => {
    const gw = patch(GATEWAY, { 'spec.servers.1.tls': { mode: 'SIMPLE' } });
    const verdict = checkObject('networking.istio.io', 'Gateway', gw, CREATE);
    expect(denialMessage('Gateway', 'ingress', 'istio-system', verdict.denied)).toBe(
      'admission webhook "validation.istio.io" denied the request: configuration is invalid: 2 errors occurred:\n' +
        '\t* SIMPLE TLS requires a server certificate\n\t* SIMPLE TLS requires a private key\n\n',
    );
  });
});

const VIRTUAL_SERVICE: KubeObject = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'reviews', namespace: 'bookinfo' },
  spec: {
    hosts: ['reviews'],
    http: [
      {
        match: [{ uri: { prefix: '/v2' }, headers: { 'end-user': { exact: 'jason' } } }],
        route: [
          { destination: { host: 'reviews', subset: 'v2' }, weight: 80 },
          { destination: { host: 'reviews', subset: 'v1', port: { number: 9080 } }, weight: 20 },
        ],
        timeout: '10s',
        retries: { attempts: 3, perTryTimeout: '2s' },
      },
    ],
  },
};

kindTable('networking.istio.io', 'VirtualService', VIRTUAL_SERVICE, [
  [
    'a misspelled route field',
    { 'spec.http.0.rout': [] },
    [['spec.http[0].rout', 'FieldValueUnknown', 'unknown field "spec.http[0].rout"']],
  ],
  [
    'a destination without a host',
    { 'spec.http.0.route.0.destination.host': undefined },
    [['spec.http[0].route[0].destination.host', 'FieldValueRequired', 'Required value']],
  ],
  [
    'a route without destinations',
    { 'spec.http.0.route': undefined },
    [['spec.http[0]', 'FieldValueInvalid', 'HTTP route, redirect or direct_response is required']],
  ],
  [
    'weights that do not add up to 100',
    { 'spec.http.0.route.1.weight': 10 },
    [['spec.http[0].route', 'FieldValueInvalid', 'total destination weight 90 != 100']],
  ],
  [
    'a host with an invalid label',
    { 'spec.hosts': ['reviews_svc'] },
    [
      [
        'spec.hosts[0]',
        'FieldValueInvalid',
        'domain name "reviews_svc" invalid (label "reviews_svc" invalid)',
      ],
    ],
  ],
  [
    'no hosts but gateways (a delegate cannot name gateways)',
    { 'spec.hosts': undefined, 'spec.gateways': ['istio-system/ingress'] },
    [
      [
        'spec.gateways',
        'FieldValueInvalid',
        'delegate virtual service must have no gateways specified',
      ],
    ],
  ],
  [
    'an exact and a prefix match together',
    { 'spec.http.0.match.0.uri.exact': '/v2' },
    [
      [
        '<nil>',
        'FieldValueInvalid',
        'Invalid value: "": "spec.http[0].match[0].uri" must validate one and only one schema (oneOf). Found 2 valid alternatives',
      ],
    ],
  ],
  [
    'a timeout that is not a duration',
    { 'spec.http.0.timeout': '10 seconds' },
    [
      [
        'spec.http[0].timeout',
        'FieldValueInvalid',
        "Invalid value: \"string\": type conversion error from 'string' to 'google.protobuf.Duration' evaluating rule: must be a valid duration greater than 1ms",
      ],
    ],
  ],
  [
    'a timeout below 1ms',
    { 'spec.http.0.timeout': '500us' },
    [
      [
        'spec.http[0].timeout',
        'FieldValueInvalid',
        'Invalid value: "string": must be a valid duration greater than 1ms',
      ],
    ],
  ],
  [
    'retry settings with zero attempts',
    { 'spec.http.0.retries.attempts': 0 },
    [
      [
        'spec.http[0].retries',
        'FieldValueInvalid',
        'http retry policy configured when attempts are set to 0 (disabled)',
      ],
    ],
  ],
  [
    'no routes at all',
    { 'spec.http': undefined },
    [['spec', 'FieldValueInvalid', 'http, tcp or tls must be provided in virtual service']],
  ],
  [
    'a wildcard host bound to the mesh',
    { 'spec.hosts': ['*'] },
    [
      [
        'spec.hosts[0]',
        'FieldValueInvalid',
        'wildcard host * is not allowed for virtual services bound to the mesh gateway',
      ],
    ],
  ],
]);

const DESTINATION_RULE: KubeObject = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name: 'reviews', namespace: 'bookinfo' },
  spec: {
    host: 'reviews.bookinfo.svc.cluster.local',
    trafficPolicy: {
      loadBalancer: { simple: 'LEAST_REQUEST' },
      connectionPool: {
        tcp: { maxConnections: 100, connectTimeout: '30ms' },
        http: { http2MaxRequests: 1000 },
      },
      outlierDetection: { consecutive5xxErrors: 7, interval: '5m', baseEjectionTime: '15m' },
    },
    subsets: [
      { name: 'v1', labels: { version: 'v1' } },
      {
        name: 'v2',
        labels: { version: 'v2' },
        trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } },
      },
    ],
  },
};

kindTable('networking.istio.io', 'DestinationRule', DESTINATION_RULE, [
  [
    'a missing host',
    { 'spec.host': undefined },
    [['spec.host', 'FieldValueRequired', 'Required value']],
  ],
  [
    'an unknown load balancer',
    { 'spec.trafficPolicy.loadBalancer.simple': 'FASTEST' },
    [
      [
        'spec.trafficPolicy.loadBalancer.simple',
        'FieldValueNotSupported',
        'Unsupported value: "FASTEST": supported values: "UNSPECIFIED", "LEAST_CONN", "RANDOM", "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST"',
      ],
      ['<nil>', 'FieldValueInvalid'],
    ],
  ],
  [
    'an unknown field in a subset traffic policy',
    { 'spec.subsets.1.trafficPolicy.loadbalancer': {} },
    [['spec.subsets[1].trafficPolicy.loadbalancer', 'FieldValueUnknown']],
  ],
  [
    'a subset without a name',
    { 'spec.subsets.0.name': undefined },
    [['spec.subsets[0].name', 'FieldValueRequired']],
  ],
  [
    'duplicate subset names',
    { 'spec.subsets.1.name': 'v1' },
    [['spec.subsets[1].name', 'FieldValueInvalid', 'duplicate subset names: v1']],
  ],
  [
    'an empty traffic policy',
    { 'spec.subsets.0.trafficPolicy': {} },
    [
      [
        'spec.subsets[0].trafficPolicy',
        'FieldValueInvalid',
        'traffic policy must have at least one field',
      ],
    ],
  ],
  [
    'MUTUAL TLS without client certificates',
    { 'spec.trafficPolicy.tls': { mode: 'MUTUAL' } },
    [
      ['spec.trafficPolicy.tls', 'FieldValueInvalid', 'client certificate required for mutual tls'],
      ['spec.trafficPolicy.tls', 'FieldValueInvalid', 'private key required for mutual tls'],
    ],
  ],
  [
    'a connect timeout that is not a duration',
    { 'spec.trafficPolicy.connectionPool.tcp.connectTimeout': 'soon' },
    [['spec.trafficPolicy.connectionPool.tcp.connectTimeout', 'FieldValueInvalid']],
  ],
  [
    'a host that is empty',
    { 'spec.host': '' },
    [['spec.host', 'FieldValueInvalid', 'empty domain name not allowed']],
  ],
]);

describe('checkObject', () => {
  it('puts each finding in the stage of the real server that reports it', () => {
    const vs = patch(VIRTUAL_SERVICE, { 'spec.extra': true, 'spec.http.0.route.1.weight': 10 });
    const verdict = checkObject('networking.istio.io', 'VirtualService', vs, CREATE);
    expect(verdict.unknown.map((c) => c.field)).toEqual(['spec.extra']);
    expect(verdict.invalid).toEqual([]);
    expect(verdict.denied.map((c) => c.message)).toEqual(['total destination weight 90 != 100']);
    expect(validateObject('networking.istio.io', 'VirtualService', vs, CREATE)).toHaveLength(2);
  });

  it('skips the webhook when schema validation already failed, as admission never runs', () => {
    const dr = patch(DESTINATION_RULE, { 'spec.host': undefined, 'spec.subsets.1.name': 'v1' });
    const verdict = checkObject('networking.istio.io', 'DestinationRule', dr, CREATE);
    expect(verdict.invalid.map((c) => c.field)).toEqual(['spec.host']);
    expect(verdict.denied).toEqual([]);
  });

  it('validates nothing for kinds it does not know', () => {
    const obj: KubeObject = { apiVersion: 'v1', kind: 'Widget', metadata: {} };
    expect(validateObject('', 'Widget', obj, CREATE)).toEqual([]);
  });
});
