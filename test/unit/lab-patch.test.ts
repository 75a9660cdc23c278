import { describe, expect, it } from 'vitest';
import {
  applyMergePatch,
  applyPatch,
  BUILTIN_STRATEGIC_SCHEMAS,
  MAX_JSON_PATCH_OPERATIONS,
  PatchError,
  patchTypeOf,
  strategicSchemaFor,
  UNPROCESSABLE_MESSAGE,
  type StrategicSchema,
} from '../../lab/apiserver/patch.js';
import { goSyntaxError } from '../../lab/apiserver/patch/json.js';
import type { KubeObject } from '../../lab/apiserver/types.js';

const JSON_PATCH = 'application/json-patch+json';
const MERGE_PATCH = 'application/merge-patch+json';
const STRATEGIC = 'application/strategic-merge-patch+json';

const DEPLOYMENT = strategicSchemaFor('apps', 'Deployment') as StrategicSchema;
const POD = strategicSchemaFor('', 'Pod') as StrategicSchema;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

/** A frozen Deployment shaped like the lab's: an app container plus the Istio sidecar. */
function deployment(): KubeObject {
  return deepFreeze({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'reviews',
      namespace: 'shop',
      labels: { app: 'reviews', tier: 'backend' },
      finalizers: ['a.example.com/one', 'b.example.com/two'],
      ownerReferences: [{ apiVersion: 'v1', kind: 'Thing', name: 'owner', uid: 'u-1' }],
    },
    spec: {
      replicas: 2,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: 'reviews' } },
        spec: {
          containers: [
            {
              name: 'reviews',
              image: 'reviews:1',
              env: [
                { name: 'LOG_LEVEL', value: 'info' },
                { name: 'PORT', value: '9080' },
              ],
              ports: [{ containerPort: 9080, name: 'http' }],
              volumeMounts: [{ name: 'config', mountPath: '/etc/config' }],
              envFrom: [{ configMapRef: { name: 'base' } }],
            },
            {
              name: 'discovery',
              image: 'istio/pilot:1.22',
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m' } },
            },
          ],
          volumes: [{ name: 'config', configMap: { name: 'reviews-config' } }],
          tolerations: [
            { key: 'dedicated', operator: 'Equal', value: 'mesh', effect: 'NoSchedule' },
          ],
        },
      },
    },
  });
}

type DeploymentShape = {
  metadata: { labels?: Record<string, string>; finalizers?: string[]; ownerReferences?: unknown[] };
  spec: {
    replicas?: number;
    strategy?: Record<string, unknown>;
    template: {
      spec: {
        containers: Array<Record<string, unknown> & { name: string }>;
        tolerations?: unknown[];
        volumes?: unknown[];
      };
    };
  };
};

const asDeployment = (value: unknown): DeploymentShape => value as DeploymentShape;
const containers = (value: unknown) => asDeployment(value).spec.template.spec.containers;
const container = (value: unknown, name: string) => containers(value).find((c) => c.name === name);

function strategic(patch: unknown, original: KubeObject = deployment(), schema = DEPLOYMENT) {
  return applyPatch(STRATEGIC, original, JSON.stringify(patch), schema);
}

function templateSpecPatch(spec: Record<string, unknown>) {
  return { spec: { template: { spec } } };
}

/** Runs `fn` and returns the PatchError it throws. */
function patchError(fn: () => unknown): PatchError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PatchError) return err;
    throw err;
  }
  throw new Error('expected a PatchError');
}

describe('content types', () => {
  it.each([
    [JSON_PATCH, 'application/json-patch+json'],
    [MERGE_PATCH, 'application/merge-patch+json'],
    ['application/merge-patch+json; charset=utf-8', 'application/merge-patch+json'],
    [STRATEGIC, STRATEGIC],
    ['application/strategic-merge-patch+json;charset=UTF-8', STRATEGIC],
  ])('selects %s for a built-in kind', (contentType, patchType) => {
    expect(patchTypeOf(contentType, DEPLOYMENT)).toBe(patchType);
  });

  it.each([
    ['text/plain'],
    ['application/json'],
    ['APPLICATION/MERGE-PATCH+JSON'],
    [''],
    [undefined],
  ])('answers go-restful’s 415 to %j for a built-in kind', (contentType) => {
    const err = patchError(() => patchTypeOf(contentType, DEPLOYMENT));
    expect(err.kind).toBe('UnsupportedMediaType');
    expect(err.code).toBe(415);
    expect(err.message).toBe('415: Unsupported Media Type');
  });

  it('answers PatchResource’s 415 to a header go-restful lets through but the handler does not', () => {
    const err = patchError(() => patchTypeOf(' application/merge-patch+json', DEPLOYMENT));
    expect(err.message).toBe(
      'the body of the request was in an unknown format - accepted media types include: ' +
        'application/json-patch+json, application/merge-patch+json, ' +
        'application/strategic-merge-patch+json, application/apply-patch+yaml',
    );
  });

  it.each([[STRATEGIC], ['text/plain'], [undefined]])(
    'answers 415 to %j for a custom resource, offering no strategic merge patch',
    (contentType) => {
      const err = patchError(() =>
        applyPatch(
          contentType,
          deployment(),
          '{"spec":{}}',
          strategicSchemaFor('networking.istio.io', 'VirtualService'),
        ),
      );
      expect(err.kind).toBe('UnsupportedMediaType');
      expect(err.toStatus()).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message:
          'the body of the request was in an unknown format - accepted media types include: ' +
          'application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
        reason: 'UnsupportedMediaType',
        code: 415,
      });
    },
  );

  it('accepts merge and JSON patches for a custom resource', () => {
    const vs = deepFreeze({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'reviews' },
      spec: { hosts: ['reviews'], http: [{ fault: { delay: { percentage: { value: 50 } } } }] },
    });
    expect(applyPatch(MERGE_PATCH, vs, '{"spec":{"http":[]}}', undefined)).toMatchObject({
      spec: { hosts: ['reviews'], http: [] },
    });
    expect(
      applyPatch(JSON_PATCH, vs, '[{"op":"remove","path":"/spec/http/0/fault"}]', undefined),
    ).toMatchObject({ spec: { http: [{}] } });
  });

  it('refuses server-side apply, which the lab does not implement', () => {
    const err = patchError(() =>
      applyPatch('application/apply-patch+yaml', deployment(), 'spec: {}', DEPLOYMENT),
    );
    expect(err.kind).toBe('UnsupportedMediaType');
    expect(err.message).toMatch(/server-side apply/);
  });
});

describe('JSON merge patch', () => {
  it.each([
    ['null deletes a member', { a: 1, b: 2 }, { a: null }, { b: 2 }],
    ['null for a missing member changes nothing', { a: 1 }, { z: null }, { a: 1 }],
    [
      'objects merge recursively',
      { o: { x: 1, y: 2 } },
      { o: { y: 3, z: 4 } },
      { o: { x: 1, y: 3, z: 4 } },
    ],
    ['nested null deletes', { o: { x: 1, y: 2 } }, { o: { x: null } }, { o: { y: 2 } }],
    ['arrays replace', { l: [1, 2, 3] }, { l: [4] }, { l: [4] }],
    [
      'arrays of objects replace',
      { l: [{ name: 'a', v: 1 }, { name: 'b' }] },
      { l: [{ name: 'a', v: 2 }] },
      { l: [{ name: 'a', v: 2 }] },
    ],
    ['a scalar replaces an object', { o: { x: 1 } }, { o: 'flat' }, { o: 'flat' }],
    ['an object replaces a scalar', { o: 'flat' }, { o: { x: 1, gone: null } }, { o: { x: 1 } }],
    [
      'new objects lose their nulls',
      {},
      { o: { x: 1, y: null, n: { z: null } } },
      { o: { x: 1, n: {} } },
    ],
    [
      'list elements keep their nulls',
      {},
      { l: [null, { a: null, b: 1 }] },
      { l: [null, { b: 1 }] },
    ],
  ])('%s', (_name, original, patch, expected) => {
    expect(applyMergePatch(structuredClone(original), structuredClone(patch))).toEqual(expected);
  });

  it('patches a Deployment without touching what the patch does not name', () => {
    const patched = asDeployment(
      applyPatch(
        MERGE_PATCH,
        deployment(),
        JSON.stringify({
          metadata: { labels: { tier: null, canary: 'true' } },
          spec: { replicas: 0 },
        }),
        DEPLOYMENT,
      ),
    );
    expect(patched.metadata.labels).toEqual({ app: 'reviews', canary: 'true' });
    expect(patched.spec.replicas).toBe(0);
    expect(containers(patched)).toEqual(containers(deployment()));
  });

  it('replaces a list where a strategic merge patch would merge it', () => {
    const patched = applyPatch(
      MERGE_PATCH,
      deployment(),
      JSON.stringify(
        templateSpecPatch({ containers: [{ name: 'discovery', image: 'istio/pilot:1.23' }] }),
      ),
      DEPLOYMENT,
    );
    expect(containers(patched)).toEqual([{ name: 'discovery', image: 'istio/pilot:1.23' }]);
  });

  it.each([
    ['{"metadata":', 'error decoding patch: unexpected end of JSON input'],
    [
      '{metadata: {}}',
      "error decoding patch: invalid character 'm' looking for beginning of object key string",
    ],
    [
      '[{"op":"add"}]',
      'error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}',
    ],
    [
      '"x"',
      'error decoding patch: json: cannot unmarshal string into Go value of type map[string]interface {}',
    ],
    ['null', 'Invalid JSON Patch'],
  ])('answers 400 to the body %j', (body, message) => {
    const err = patchError(() => applyPatch(MERGE_PATCH, deployment(), body, DEPLOYMENT));
    expect(err.kind).toBe('BadRequest');
    expect(err.code).toBe(400);
    expect(err.message).toBe(message);
  });
});

describe('JSON patch', () => {
  const object = () =>
    deepFreeze({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm', annotations: { 'sidecar.istio.io/inject': 'true' } },
      data: { a: '1', b: '2' },
      list: ['x', 'y', 'z'],
    }) as KubeObject;
  const jsonPatch = (ops: unknown, original: KubeObject = object()) =>
    applyPatch(JSON_PATCH, original, JSON.stringify(ops), strategicSchemaFor('', 'ConfigMap'));

  it.each([
    [
      'add a member',
      [{ op: 'add', path: '/data/c', value: '3' }],
      { data: { a: '1', b: '2', c: '3' } },
    ],
    [
      'add overwrites a member',
      [{ op: 'add', path: '/data/a', value: 'one' }],
      { data: { a: 'one', b: '2' } },
    ],
    [
      'add inserts into a list',
      [{ op: 'add', path: '/list/1', value: 'w' }],
      { list: ['x', 'w', 'y', 'z'] },
    ],
    [
      'add appends with -',
      [{ op: 'add', path: '/list/-', value: 'w' }],
      { list: ['x', 'y', 'z', 'w'] },
    ],
    ['remove a member', [{ op: 'remove', path: '/data/a' }], { data: { b: '2' } }],
    ['remove a list element', [{ op: 'remove', path: '/list/0' }], { list: ['y', 'z'] }],
    [
      'replace a member',
      [{ op: 'replace', path: '/data/b', value: 'two' }],
      { data: { a: '1', b: 'two' } },
    ],
    [
      'move a member',
      [{ op: 'move', from: '/data/a', path: '/data/moved' }],
      { data: { b: '2', moved: '1' } },
    ],
    [
      'copy a member',
      [{ op: 'copy', from: '/data/a', path: '/data/copied' }],
      { data: { a: '1', b: '2', copied: '1' } },
    ],
    [
      'escape / as ~1',
      [{ op: 'replace', path: '/metadata/annotations/sidecar.istio.io~1inject', value: 'false' }],
      { metadata: { annotations: { 'sidecar.istio.io/inject': 'false' } } },
    ],
    [
      'test then change',
      [
        { op: 'test', path: '/data/a', value: '1' },
        { op: 'replace', path: '/data/a', value: 'changed' },
      ],
      { data: { a: 'changed', b: '2' } },
    ],
    [
      'test a whole list',
      [{ op: 'test', path: '/list', value: ['x', 'y', 'z'] }],
      { list: ['x', 'y', 'z'] },
    ],
  ])('%s', (_name, ops, expected) => {
    expect(jsonPatch(ops)).toMatchObject(expected);
  });

  it('applies operations in order, each on the result of the previous one', () => {
    const patched = jsonPatch([
      { op: 'add', path: '/data/c', value: '3' },
      { op: 'move', from: '/data/c', path: '/data/d' },
      { op: 'remove', path: '/data/a' },
    ]) as { data: Record<string, string> };
    expect(patched.data).toEqual({ b: '2', d: '3' });
  });

  describe('json-patch v4 behaviour, as kube-apiserver vendors it', () => {
    it.each([
      [
        'replace of a missing member adds it',
        [{ op: 'replace', path: '/data/new', value: 'n' }],
        { data: { a: '1', b: '2', new: 'n' } },
      ],
      [
        'negative indices count from the end',
        [{ op: 'remove', path: '/list/-1' }],
        { list: ['x', 'y'] },
      ],
      [
        'add at a negative index',
        [{ op: 'add', path: '/list/-1', value: 'w' }],
        { list: ['x', 'y', 'z', 'w'] },
      ],
      [
        'copy from a missing member copies null',
        [{ op: 'copy', from: '/data/none', path: '/data/c' }],
        { data: { a: '1', b: '2', c: null } },
      ],
      [
        'add without a value writes null',
        [{ op: 'add', path: '/data/c' }],
        { data: { a: '1', b: '2', c: null } },
      ],
      [
        'test of a missing member against null passes',
        [{ op: 'test', path: '/data/none', value: null }],
        { data: { a: '1', b: '2' } },
      ],
    ])('%s', (_name, ops, expected) => {
      expect(jsonPatch(ops)).toEqual({ ...object(), ...expected });
    });
  });

  it.each([
    [
      'a failing test',
      [{ op: 'test', path: '/data/a', value: '2' }],
      /testing value \/data\/a failed/,
    ],
    [
      'a test of a missing member',
      [{ op: 'test', path: '/data/none', value: 'x' }],
      /testing value/,
    ],
    ['removing a missing member', [{ op: 'remove', path: '/data/none' }], /nonexistent key/],
    [
      'adding under a missing parent',
      [{ op: 'add', path: '/spec/replicas', value: 1 }],
      /missing path/,
    ],
    [
      'replacing under a missing parent',
      [{ op: 'replace', path: '/spec/replicas', value: 1 }],
      /missing path/,
    ],
    [
      'replacing past the end of a list',
      [{ op: 'replace', path: '/list/3', value: 'w' }],
      /missing key/,
    ],
    [
      'adding past the end of a list',
      [{ op: 'add', path: '/list/5', value: 'w' }],
      /invalid index/,
    ],
    [
      'moving from a missing member',
      [{ op: 'move', from: '/data/none', path: '/data/c' }],
      /nonexistent key/,
    ],
    ['an unknown operation', [{ op: 'increment', path: '/data/a' }], /Unexpected kind: increment/],
    ['an operation without op', [{ path: '/data/a' }], /Unexpected kind: unknown/],
    ['an operation without path', [{ op: 'remove' }], /failed to decode path/],
    ['adding at the root', [{ op: 'add', path: '', value: {} }], /missing path/],
  ])('answers 422 to %s, with the generic message of the real server', (_name, ops, detail) => {
    const err = patchError(() => jsonPatch(ops));
    expect(err.kind).toBe('Invalid');
    expect(err.code).toBe(422);
    expect(err.message).toBe(UNPROCESSABLE_MESSAGE);
    expect(err.detail).toMatch(detail);
    expect(err.toStatus()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server rejected our request due to an error in our request',
      reason: 'Invalid',
      details: {},
      code: 422,
    });
  });

  it('applies nothing when one operation fails', () => {
    const original = object();
    expect(() =>
      jsonPatch(
        [
          { op: 'replace', path: '/data/a', value: 'changed' },
          { op: 'test', path: '/data/b', value: 'nope' },
        ],
        original,
      ),
    ).toThrow(PatchError);
    expect(original).toEqual(object());
  });

  it.each([
    ['[{"op":"add"', 'error decoding patch: unexpected end of JSON input'],
    [
      '{"op":"add","path":"/a","value":1}',
      'error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp',
    ],
    [
      '["add"]',
      'error decoding patch: json: cannot unmarshal string into Go value of type handlers.jsonPatchOp',
    ],
    [
      '[{"op":1,"path":"/a"}]',
      'error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.op of type string',
    ],
    [
      '[{"op":"add","path":["a"]}]',
      'error decoding patch: json: cannot unmarshal array into Go struct field jsonPatchOp.path of type string',
    ],
  ])('answers 400 to the body %s', (body, message) => {
    const err = patchError(() =>
      applyPatch(JSON_PATCH, object(), body, strategicSchemaFor('', 'ConfigMap')),
    );
    expect(err.kind).toBe('BadRequest');
    expect(err.message).toBe(message);
  });

  it('treats a null body as no operations', () => {
    expect(applyPatch(JSON_PATCH, object(), 'null', undefined)).toEqual(object());
  });

  it('answers 413 above the operation limit', () => {
    const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({
      op: 'test',
      path: '/kind',
      value: 'ConfigMap',
    }));
    const err = patchError(() => jsonPatch(ops));
    expect(err.kind).toBe('RequestEntityTooLarge');
    expect(err.code).toBe(413);
    expect(err.message).toBe(
      'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001',
    );
    expect(() => jsonPatch(ops.slice(1))).not.toThrow();
  });
});

describe('strategic merge patch', () => {
  it('patches one container by name and keeps the other containers and fields', () => {
    const patched = strategic(
      templateSpecPatch({
        containers: [{ name: 'discovery', resources: { limits: { cpu: '2', memory: '1Gi' } } }],
      }),
    );
    expect(containers(patched).map((c) => c.name)).toEqual(['reviews', 'discovery']);
    expect(container(patched, 'discovery')).toEqual({
      name: 'discovery',
      image: 'istio/pilot:1.22',
      resources: {
        requests: { cpu: '100m', memory: '128Mi' },
        limits: { cpu: '2', memory: '1Gi' },
      },
    });
    expect(container(patched, 'reviews')).toEqual(container(deployment(), 'reviews'));
    expect(asDeployment(patched).spec.replicas).toBe(2);
    expect(asDeployment(patched).spec.template.spec.tolerations).toHaveLength(1);
  });

  it('adds an env var by name, keeping the others (a new element goes first)', () => {
    const patched = strategic(
      templateSpecPatch({
        containers: [{ name: 'reviews', env: [{ name: 'FAULT', value: 'delay' }] }],
      }),
    );
    expect(container(patched, 'reviews')?.['env']).toEqual([
      { name: 'FAULT', value: 'delay' },
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'PORT', value: '9080' },
    ]);
  });

  it('puts a container that is new to the list first, as in the kubectl patch task docs', () => {
    // kubernetes.io "Update API Objects in Place Using kubectl patch": patching in
    // patch-demo-ctr-2 (redis) yields [patch-demo-ctr-2, patch-demo-ctr].
    const patched = strategic(
      templateSpecPatch({ containers: [{ name: 'sidecar', image: 'redis' }] }),
    );
    expect(containers(patched).map((c) => c.name)).toEqual(['sidecar', 'reviews', 'discovery']);
  });

  it('changes an env var in place by name', () => {
    const patched = strategic(
      templateSpecPatch({
        containers: [{ name: 'reviews', env: [{ name: 'LOG_LEVEL', value: 'debug' }] }],
      }),
    );
    expect(container(patched, 'reviews')?.['env']).toEqual([
      { name: 'LOG_LEVEL', value: 'debug' },
      { name: 'PORT', value: '9080' },
    ]);
  });

  it('deletes one container with $patch: delete', () => {
    const patched = strategic(
      templateSpecPatch({ containers: [{ name: 'discovery', $patch: 'delete' }] }),
    );
    expect(containers(patched).map((c) => c.name)).toEqual(['reviews']);
  });

  it('deletes an env var with $patch: delete and merges the rest of the list', () => {
    const patched = strategic(
      templateSpecPatch({
        containers: [
          {
            name: 'reviews',
            env: [
              { name: 'PORT', $patch: 'delete' },
              { name: 'NEW', value: 'x' },
            ],
          },
        ],
      }),
    );
    expect(container(patched, 'reviews')?.['env']).toEqual([
      { name: 'NEW', value: 'x' },
      { name: 'LOG_LEVEL', value: 'info' },
    ]);
  });

  it('replaces a map with $patch: replace instead of merging it', () => {
    const patched = strategic(
      templateSpecPatch({
        containers: [{ name: 'discovery', resources: { $patch: 'replace', limits: { cpu: '1' } } }],
      }),
    );
    expect(container(patched, 'discovery')?.['resources']).toEqual({ limits: { cpu: '1' } });
  });

  it('replaces a merge-keyed list with a $patch: replace element', () => {
    const patched = strategic(
      templateSpecPatch({ containers: [{ name: 'solo', image: 'solo:1' }, { $patch: 'replace' }] }),
    );
    expect(containers(patched)).toEqual([{ name: 'solo', image: 'solo:1' }]);
  });

  it('empties a map with $patch: delete, as strategicpatch does', () => {
    const patched = strategic({ metadata: { labels: { $patch: 'delete' } } });
    expect(asDeployment(patched).metadata.labels).toEqual({});
  });

  it('merges container ports by containerPort', () => {
    const patched = strategic(
      templateSpecPatch({
        containers: [
          {
            name: 'reviews',
            ports: [
              { containerPort: 9080, protocol: 'TCP' },
              { containerPort: 15090, name: 'http-envoy-prom' },
            ],
          },
        ],
      }),
    );
    expect(container(patched, 'reviews')?.['ports']).toEqual([
      { containerPort: 9080, name: 'http', protocol: 'TCP' },
      { containerPort: 15090, name: 'http-envoy-prom' },
    ]);
  });

  it('merges volume mounts by mountPath and volumes by name', () => {
    const patched = strategic(
      templateSpecPatch({
        containers: [
          { name: 'reviews', volumeMounts: [{ name: 'certs', mountPath: '/etc/certs' }] },
        ],
        volumes: [{ name: 'certs', secret: { secretName: 'certs' } }],
      }),
    );
    expect(container(patched, 'reviews')?.['volumeMounts']).toEqual([
      { name: 'certs', mountPath: '/etc/certs' },
      { name: 'config', mountPath: '/etc/config' },
    ]);
    expect(asDeployment(patched).spec.template.spec.volumes).toHaveLength(2);
  });

  it('replaces lists without a merge key: tolerations, envFrom', () => {
    const patched = strategic(
      templateSpecPatch({
        tolerations: [{ key: 'chaos', operator: 'Exists' }],
        containers: [{ name: 'reviews', envFrom: [{ secretRef: { name: 'extra' } }] }],
      }),
    );
    expect(asDeployment(patched).spec.template.spec.tolerations).toEqual([
      { key: 'chaos', operator: 'Exists' },
    ]);
    expect(container(patched, 'reviews')?.['envFrom']).toEqual([{ secretRef: { name: 'extra' } }]);
  });

  it('unions finalizers, patch items first in patch order', () => {
    const patched = strategic({
      metadata: { finalizers: ['c.example.com/three', 'a.example.com/one'] },
    });
    expect(asDeployment(patched).metadata.finalizers).toEqual([
      'c.example.com/three',
      'a.example.com/one',
      'b.example.com/two',
    ]);
  });

  it('removes finalizers with $deleteFromPrimitiveList', () => {
    const patched = strategic({
      metadata: { '$deleteFromPrimitiveList/finalizers': ['a.example.com/one', 'not-there'] },
    });
    expect(asDeployment(patched).metadata.finalizers).toEqual(['b.example.com/two']);
  });

  it('ignores $deleteFromPrimitiveList for a list the object does not have', () => {
    const patched = strategic(templateSpecPatch({ '$deleteFromPrimitiveList/args': ['x'] }));
    expect(asDeployment(patched).spec.template.spec).not.toHaveProperty('args');
  });

  it('orders a merged list with $setElementOrder', () => {
    const patched = strategic(
      templateSpecPatch({
        '$setElementOrder/containers': [{ name: 'discovery' }, { name: 'reviews' }],
      }),
    );
    expect(containers(patched).map((c) => c.name)).toEqual(['discovery', 'reviews']);
  });

  it('merges and orders a list with $setElementOrder together with its patch', () => {
    const patched = strategic(
      templateSpecPatch({
        '$setElementOrder/containers': [
          { name: 'sidecar' },
          { name: 'reviews' },
          { name: 'discovery' },
        ],
        containers: [{ name: 'sidecar', image: 'sidecar:1' }],
      }),
    );
    expect(containers(patched).map((c) => c.name)).toEqual(['sidecar', 'reviews', 'discovery']);
    expect(container(patched, 'discovery')?.['image']).toBe('istio/pilot:1.22');
  });

  it('places new list elements after the last patched one, as strategicpatch orders them', () => {
    const original = deepFreeze({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] },
    }) as KubeObject;
    const patched = strategic(
      { spec: { containers: [{ name: 'b', image: 'b:2' }, { name: 'd' }] } },
      original,
      POD,
    );
    expect(containers({ spec: { template: patched } }).map((c) => c.name)).toEqual([
      'a',
      'b',
      'd',
      'c',
    ]);
  });

  it('clears keys missing from $retainKeys', () => {
    const patched = strategic({ spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } });
    expect(asDeployment(patched).spec.strategy).toEqual({ type: 'Recreate' });
  });

  it('answers 400 when the patch sets a key $retainKeys does not list', () => {
    const err = patchError(() =>
      strategic({
        spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: {} } },
      }),
    );
    expect(err.kind).toBe('BadRequest');
    expect(err.message).toBe('invalid patch format of retainKeys');
  });

  it('deletes map keys with null and merges the others', () => {
    const patched = strategic({ metadata: { labels: { tier: null, version: 'v2' } } });
    expect(asDeployment(patched).metadata.labels).toEqual({ app: 'reviews', version: 'v2' });
  });

  it('merges owner references by uid', () => {
    const patched = strategic({
      metadata: {
        ownerReferences: [
          { uid: 'u-1', controller: true },
          { uid: 'u-2', kind: 'Other', name: 'x', apiVersion: 'v1' },
        ],
      },
    });
    expect(asDeployment(patched).metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Thing', name: 'owner', uid: 'u-1', controller: true },
      { uid: 'u-2', kind: 'Other', name: 'x', apiVersion: 'v1' },
    ]);
  });

  it('drops nulls and $patch objects from values that are new to the object', () => {
    const patched = strategic(
      templateSpecPatch({
        containers: [
          {
            name: 'discovery',
            securityContext: {
              runAsUser: 1337,
              privileged: null,
              seccompProfile: { $patch: 'replace' },
            },
          },
        ],
      }),
    );
    expect(container(patched, 'discovery')?.['securityContext']).toEqual({ runAsUser: 1337 });
  });

  it('merges a Pod’s containers and conditions', () => {
    const pod = deepFreeze({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        containers: [
          { name: 'app', image: 'app:1' },
          { name: 'istio-proxy', image: 'proxy:1' },
        ],
      },
      status: {
        conditions: [
          { type: 'Ready', status: 'True' },
          { type: 'PodScheduled', status: 'True' },
        ],
      },
    }) as KubeObject;
    const patched = strategic(
      {
        spec: { containers: [{ name: 'istio-proxy', image: 'proxy:2' }] },
        status: { conditions: [{ type: 'Ready', status: 'False', reason: 'ProxyDown' }] },
      },
      pod,
      POD,
    );
    expect(patched).toEqual({
      ...pod,
      spec: {
        containers: [
          { name: 'app', image: 'app:1' },
          { name: 'istio-proxy', image: 'proxy:2' },
        ],
      },
      status: {
        conditions: [
          { type: 'Ready', status: 'False', reason: 'ProxyDown' },
          { type: 'PodScheduled', status: 'True' },
        ],
      },
    });
  });

  it.each([
    [
      'Service ports by port',
      '/Service',
      {
        spec: {
          ports: [
            { port: 80, targetPort: 8080 },
            { port: 443, name: 'https' },
          ],
        },
      },
      { spec: { ports: [{ port: 80, targetPort: 9090 }] } },
      {
        spec: {
          ports: [
            { port: 80, targetPort: 9090 },
            { port: 443, name: 'https' },
          ],
        },
      },
    ],
    [
      'Secret data as a map',
      '/Secret',
      { data: { user: 'YQ==', pass: 'Yg==' } },
      { data: { pass: 'Yw==', token: 'ZA==' } },
      { data: { user: 'YQ==', pass: 'Yw==', token: 'ZA==' } },
    ],
    [
      'ConfigMap data as a map',
      '/ConfigMap',
      { data: { a: '1', b: '2' } },
      { data: { a: null } },
      { data: { b: '2' } },
    ],
    [
      'NetworkPolicy rules by replacement',
      'networking.k8s.io/NetworkPolicy',
      {
        spec: {
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ podSelector: {} }] }, { ports: [{ port: 80 }] }],
        },
      },
      { spec: { ingress: [{ ports: [{ port: 443 }] }] } },
      { spec: { policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 443 }] }] } },
    ],
    [
      'webhooks by name',
      'admissionregistration.k8s.io/MutatingWebhookConfiguration',
      {
        webhooks: [
          { name: 'sidecar.istio.io', failurePolicy: 'Fail' },
          { name: 'other.example.com' },
        ],
      },
      { webhooks: [{ name: 'sidecar.istio.io', failurePolicy: 'Ignore' }] },
      {
        webhooks: [
          { name: 'sidecar.istio.io', failurePolicy: 'Ignore' },
          { name: 'other.example.com' },
        ],
      },
    ],
    [
      'ServiceAccount secrets by name',
      '/ServiceAccount',
      { secrets: [{ name: 'a' }], imagePullSecrets: [{ name: 'p1' }] },
      { secrets: [{ name: 'b' }], imagePullSecrets: [{ name: 'p2' }] },
      { secrets: [{ name: 'b' }, { name: 'a' }], imagePullSecrets: [{ name: 'p2' }] },
    ],
  ])('merges %s', (_name, key, body, patch, expected) => {
    const original = deepFreeze({
      apiVersion: 'v1',
      kind: 'X',
      metadata: { name: 'x' },
      ...body,
    }) as KubeObject;
    const schema = BUILTIN_STRATEGIC_SCHEMAS[key];
    expect(schema).toBeDefined();
    expect(strategic(patch, original, schema)).toEqual({ ...original, ...expected });
  });

  it.each([
    ['invalid JSON', '{"spec":', 'unexpected end of JSON input'],
    [
      'an array',
      '[]',
      'json: cannot unmarshal array into Go value of type map[string]interface {}',
    ],
    [
      'a number',
      '3',
      'json: cannot unmarshal number into Go value of type map[string]interface {}',
    ],
    [
      'an unknown $ directive',
      '{"spec":{"$replace":true}}',
      'strict decoding error: unknown field "spec.$replace": not a strategic merge patch directive',
    ],
    [
      'a malformed $deleteFromPrimitiveList',
      '{"metadata":{"$deleteFromPrimitiveList":["a"]}}',
      'invalid patch format of primitive list',
    ],
    [
      'a malformed $setElementOrder',
      '{"metadata":{"$setElementOrderX/finalizers":["a"]}}',
      'invalid patch format of setElementOrder list',
    ],
    [
      'a $retainKeys that is no list',
      '{"spec":{"strategy":{"$retainKeys":"type"}}}',
      'invalid patch format of retainKeys',
    ],
  ])('answers 400 to %s', (_name, body, message) => {
    const err = patchError(() => applyPatch(STRATEGIC, deployment(), body, DEPLOYMENT));
    expect(err.kind).toBe('BadRequest');
    expect(err.code).toBe(400);
    expect(err.message).toBe(message);
  });

  it.each([
    [
      '$patch: merge on a map',
      { spec: { $patch: 'merge' } },
      'unknown patch type: merge in map: map[$patch:merge]',
    ],
    [
      'an unknown $patch value',
      { metadata: { labels: { $patch: 'remove' } } },
      'unknown patch type: remove in map: map[$patch:remove]',
    ],
    [
      '$patch: merge in a list',
      templateSpecPatch({ containers: [{ name: 'reviews', $patch: 'merge' }] }),
      'merging lists cannot yet be specified in the patch',
    ],
    [
      'a list element without its merge key',
      templateSpecPatch({ containers: [{ image: 'nameless' }] }),
      'map: map[image:nameless] does not contain declared merge key: name',
    ],
    [
      'list elements of different types',
      { metadata: { finalizers: [['nested']] } },
      'list element types are not identical: [[a.example.com/one b.example.com/two] [[nested]]]',
    ],
    [
      '$patch: delete without the merge key',
      templateSpecPatch({ containers: [{ $patch: 'delete' }] }),
      'map: map[$patch:delete] does not contain declared merge key: name',
    ],
  ])('answers 500 with the Go error text to %s', (_name, patch, message) => {
    const err = patchError(() => strategic(patch));
    expect(err.kind).toBe('InternalError');
    expect(err.code).toBe(500);
    expect(err.message).toBe(message);
    expect(err.toStatus()).not.toHaveProperty('reason');
  });

  it('answers 422 to a list of lists in a merged list', () => {
    const original = deepFreeze({ ...deployment(), metadata: { name: 'reviews', finalizers: [] } });
    const err = patchError(() => strategic({ metadata: { finalizers: [['nested']] } }, original));
    expect(err.kind).toBe('Invalid');
    expect(err.message).toBe(UNPROCESSABLE_MESSAGE);
    expect(err.detail).toBe('lists of lists are not supported');
  });

  it('treats a null body as an empty patch', () => {
    expect(applyPatch(STRATEGIC, deployment(), 'null', DEPLOYMENT)).toEqual(deployment());
  });

  it('returns a changed name as patched, for the caller to refuse', () => {
    expect(strategic({ metadata: { name: 'renamed' } })).toMatchObject({
      metadata: { name: 'renamed' },
    });
  });
});

describe('inputs are not modified', () => {
  it.each([
    [
      JSON_PATCH,
      '[{"op":"replace","path":"/spec/template/spec/containers/1/image","value":"x"},{"op":"remove","path":"/metadata/labels/tier"}]',
    ],
    [
      MERGE_PATCH,
      '{"metadata":{"labels":{"tier":null}},"spec":{"template":{"spec":{"containers":[]}}}}',
    ],
    [
      STRATEGIC,
      '{"metadata":{"finalizers":["z"],"labels":{"tier":null}},"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"},' +
        '"template":{"spec":{"$setElementOrder/containers":[{"name":"discovery"},{"name":"reviews"}],' +
        '"containers":[{"name":"reviews","env":[{"name":"PORT","$patch":"delete"}]}]}}}}',
    ],
  ])('%s', (contentType, body) => {
    // deployment() is deeply frozen: any write to it would throw.
    const original = deployment();
    const patched = applyPatch(contentType, original, body, DEPLOYMENT);
    expect(patched).not.toEqual(original);
    expect(original).toEqual(deployment());
    expect(patched).not.toBe(original);
  });
});

describe('strategic merge schemas', () => {
  it('has a schema for every built-in kind the lab serves and none for custom resources', () => {
    for (const [group, kind] of [
      ['', 'Pod'],
      ['', 'Service'],
      ['', 'Namespace'],
      ['', 'Secret'],
      ['', 'ConfigMap'],
      ['', 'ServiceAccount'],
      ['', 'Event'],
      ['apps', 'Deployment'],
      ['apps', 'ReplicaSet'],
      ['networking.k8s.io', 'NetworkPolicy'],
      ['admissionregistration.k8s.io', 'MutatingWebhookConfiguration'],
    ] as const) {
      expect(strategicSchemaFor(group, kind), `${group}/${kind}`).toBeDefined();
    }
    for (const [group, kind] of [
      ['networking.istio.io', 'VirtualService'],
      ['networking.istio.io', 'DestinationRule'],
      ['security.istio.io', 'AuthorizationPolicy'],
      ['', 'Deployment'],
      ['', 'toString'],
    ] as const) {
      expect(strategicSchemaFor(group, kind), `${group}/${kind}`).toBeUndefined();
    }
  });

  it('describes the pod template of Deployments and ReplicaSets with the Pod’s types', () => {
    const podSpec = POD.fields['spec']?.type;
    const templateSpec = (schema: StrategicSchema | undefined) =>
      schema?.fields['spec']?.type?.fields['template']?.type?.fields['spec']?.type;
    expect(templateSpec(DEPLOYMENT)).toBe(podSpec);
    expect(templateSpec(strategicSchemaFor('apps', 'ReplicaSet'))).toBe(podSpec);
    expect(podSpec?.fields['containers']).toMatchObject({
      patchStrategy: 'merge',
      patchMergeKey: 'name',
    });
    expect(podSpec?.fields).not.toHaveProperty('tolerations');
  });
});

describe('Go decoding errors', () => {
  it.each([
    ['', 'unexpected end of JSON input'],
    ['   ', 'unexpected end of JSON input'],
    ['{', 'unexpected end of JSON input'],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b":2}', `invalid character '"' after object key:value pair`],
    ['[1 2]', "invalid character '2' after array element"],
    ["{'a':1}", "invalid character '\\'' looking for beginning of object key string"],
    ['trux', "invalid character 'x' in literal true (expecting 'e')"],
    ['nul', 'unexpected end of JSON input'],
    ['01', "invalid character '1' after top-level value"],
    ['{} {}', "invalid character '{' after top-level value"],
    ['-x', "invalid character 'x' in numeric literal"],
    ['1.e3', "invalid character 'e' after decimal point in numeric literal"],
    ['1e+x', "invalid character 'x' in exponent of numeric literal"],
    ['"a\\qb"', "invalid character 'q' in string escape code"],
    ['"a\nb"', "invalid character '\\n' in string literal"],
    ['"\\u12x4"', "invalid character 'x' in \\u hexadecimal character escape"],
    ['{"a":}', "invalid character '}' looking for beginning of value"],
    ['{"a":1}', undefined],
  ])('%j', (text, message) => {
    expect(goSyntaxError(text)).toBe(message);
  });
});
