/**
 * Core (group "") kinds: Pod, Service, Namespace, Secret, ConfigMap, ServiceAccount, Event, as
 * pkg/apis/core/validation validates them.
 */
import type { KubeObject } from '../types.js';
import { decodeBase64 } from './base64.js';
import {
  asArray,
  asObject,
  asString,
  byteLength,
  child,
  duplicate,
  forbidden,
  index,
  invalid,
  key,
  notSupported,
  plain,
  Rendered,
  required,
  tooLong,
  type Findings,
} from './field.js';
import { asPrefixAware, validateLabels, type MetaRules } from './meta.js';
import {
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isLabelKey,
  isValidPortName,
  isValidPortNum,
} from './names.js';
import { validatePodSpec } from './podspec.js';
import type { KindValidator } from './kinds.js';

const subdomain = asPrefixAware(isDNS1123Subdomain);
const namespaced = (name = subdomain): MetaRules => ({ namespaced: true, name });
const MAX_SECRET_SIZE = 1024 * 1024;

const SPEC_STATUS = ['spec', 'status'];

const pod: KindValidator = {
  meta: namespaced(),
  fields: SPEC_STATUS,
  validate(obj, out) {
    validatePodSpec(obj.spec, 'spec', out);
  },
};

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const SESSION_AFFINITIES = ['ClientIP', 'None'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

/** The internal core.ServicePort as encoding/json renders it in a Duplicate error. */
const servicePortKey = (protocol: unknown, port: unknown): Rendered =>
  new Rendered(
    `{"Name":"","Protocol":${JSON.stringify(protocol)},"AppProtocol":null,"Port":${Number(port) || 0},"TargetPort":0,"NodePort":0}`,
  );

function validateServicePort(
  raw: unknown,
  requireName: boolean,
  names: Set<string>,
  at: string,
  out: Findings,
): void {
  const sp = asObject(raw);
  const name = asString(sp.name);
  if (requireName && !name) out.invalid.push(required(child(at, 'name')));
  else if (name) {
    for (const msg of isDNS1123Label(name)) out.invalid.push(invalid(child(at, 'name'), name, msg));
    if (names.has(name)) out.invalid.push(duplicate(child(at, 'name'), name));
    names.add(name);
  }
  const port = typeof sp.port === 'number' ? sp.port : 0;
  for (const msg of isValidPortNum(port)) out.invalid.push(invalid(child(at, 'port'), port, msg));
  const protocol = sp.protocol ?? 'TCP';
  if (protocol === '') out.invalid.push(required(child(at, 'protocol')));
  else if (!PROTOCOLS.includes(String(protocol))) {
    out.invalid.push(notSupported(child(at, 'protocol'), protocol, PROTOCOLS));
  }
  // targetPort defaults to port; an int must be a port number, a string a port name.
  const target = sp.targetPort ?? port;
  const msgs =
    typeof target === 'string' ? isValidPortName(target) : isValidPortNum(Number(target));
  for (const msg of msgs) out.invalid.push(invalid(child(at, 'targetPort'), target, msg));
}

const service: KindValidator = {
  meta: namespaced(asPrefixAware(isDNS1035Label)),
  fields: SPEC_STATUS,
  validate(obj, out, ctx) {
    const spec = asObject(obj.spec);
    const type = spec.type ?? 'ClusterIP';
    const clusterIP = asString(spec.clusterIP);
    const ports = asArray(spec.ports);
    const headless = clusterIP === 'None';
    if (ports.length === 0 && !headless && type !== 'ExternalName') {
      out.invalid.push(required('spec.ports'));
    }
    if ((type === 'LoadBalancer' || type === 'NodePort') && headless) {
      out.invalid.push(
        invalid('spec.clusterIP', clusterIP, `may not be set to 'None' for ${type} services`),
      );
    }
    if (type === 'ExternalName') {
      if (clusterIP) {
        out.invalid.push(forbidden('spec.clusterIP', 'must be empty for ExternalName services'));
      }
      const externalName = asString(spec.externalName).replace(/\.$/, '');
      if (!externalName) out.invalid.push(required('spec.externalName'));
      for (const msg of externalName ? isDNS1123Subdomain(externalName) : []) {
        out.invalid.push(invalid('spec.externalName', externalName, msg));
      }
    }
    const names = new Set<string>();
    ports.forEach((p, i) =>
      validateServicePort(p, ports.length > 1, names, index('spec.ports', i), out),
    );
    validateLabels(spec.selector, 'spec.selector', out);
    const affinity = spec.sessionAffinity ?? 'None';
    if (!SESSION_AFFINITIES.includes(String(affinity))) {
      out.invalid.push(notSupported('spec.sessionAffinity', affinity, SESSION_AFFINITIES));
    }
    if (!SERVICE_TYPES.includes(String(type))) {
      out.invalid.push(notSupported('spec.type', type, SERVICE_TYPES));
    }
    const seen = new Set<string>();
    ports.forEach((raw, i) => {
      const sp = asObject(raw);
      const at = index('spec.ports', i);
      if (type === 'ClusterIP' && sp.nodePort) {
        out.invalid.push(
          forbidden(child(at, 'nodePort'), "may not be used when `type` is 'ClusterIP'"),
        );
      }
      const protocol = sp.protocol ?? 'TCP';
      const id = `${String(protocol)}/${String(sp.port)}`;
      if (seen.has(id)) out.invalid.push(duplicate(at, servicePortKey(protocol, sp.port)));
      seen.add(id);
    });
    const old = asObject(ctx.old?.spec);
    if (ctx.operation === 'update' && type !== 'ExternalName' && old.type !== 'ExternalName') {
      const oldIP = asString(old.clusterIP);
      if (oldIP && clusterIP && clusterIP !== oldIP) {
        out.invalid.push(invalid('spec.clusterIP', clusterIP, 'field is immutable'));
      }
    }
  },
};

/** Finalizers a Namespace may list without a domain prefix. */
const STANDARD_FINALIZERS = new Set(['kubernetes']);

const namespace: KindValidator = {
  meta: { namespaced: false, name: asPrefixAware(isDNS1123Label) },
  fields: SPEC_STATUS,
  validate(obj, out) {
    for (const f of asArray(asObject(obj.spec).finalizers).map(asString)) {
      for (const msg of isLabelKey(f)) out.invalid.push(invalid('spec.finalizers', f, msg));
      if (!f.includes('/') && !STANDARD_FINALIZERS.has(f)) {
        out.invalid.push(
          invalid(
            'spec.finalizers',
            f,
            'name is neither a standard finalizer name nor is it fully qualified',
          ),
        );
      }
    }
  },
};

/** Data keys and sizes; `binary` maps are base64 in JSON and decode like Go's []byte. */
function validateDataMaps(
  maps: Array<{ field: string; data: unknown; binary: boolean }>,
  out: Findings,
): number {
  let total = 0;
  for (const { field, data, binary } of maps) {
    for (const [k, v] of Object.entries(asObject(data))) {
      const at = key(field, k);
      for (const msg of isConfigMapKey(k)) out.invalid.push(invalid(at, k, msg));
      if (!binary) {
        total += byteLength(asString(v));
        continue;
      }
      const decoded = decodeBase64(asString(v));
      if ('error' in decoded) out.malformed.push(plain('FieldValueInvalid', at, decoded.error));
      else total += decoded.length;
    }
  }
  return total;
}

function immutableData(
  obj: KubeObject,
  old: KubeObject | undefined,
  fields: string[],
  out: Findings,
) {
  if (!old || old.immutable !== true) return;
  if (obj.immutable !== true) {
    out.invalid.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
  }
  for (const f of fields) {
    if (JSON.stringify(asObject(obj[f])) !== JSON.stringify(asObject(old[f]))) {
      out.invalid.push(forbidden(f, 'field is immutable when `immutable` is set'));
    }
  }
}

const SECRET_REQUIRED_KEYS: Record<string, string[]> = {
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
};

const secret: KindValidator = {
  meta: namespaced(),
  fields: ['data', 'stringData', 'type', 'immutable'],
  validate(obj, out, ctx) {
    // stringData is merged into data before validation, so its keys report as data[...].
    const total = validateDataMaps(
      [
        { field: 'data', data: obj.data, binary: true },
        { field: 'data', data: obj.stringData, binary: false },
      ],
      out,
    );
    if (total > MAX_SECRET_SIZE) out.invalid.push(tooLong('data', MAX_SECRET_SIZE));
    const type = asString(obj.type);
    const has = (k: string): boolean =>
      Object.hasOwn(asObject(obj.data), k) || Object.hasOwn(asObject(obj.stringData), k);
    if (type === 'kubernetes.io/service-account-token') {
      const annotations = asObject(asObject(obj.metadata).annotations);
      if (!asString(annotations['kubernetes.io/service-account.name'])) {
        out.invalid.push(required('metadata.annotations[kubernetes.io/service-account.name]'));
      }
    } else if (type === 'kubernetes.io/basic-auth') {
      if (!has('username') && !has('password')) {
        // The real server builds these paths from a literal "data[%s]", hence the odd field names.
        out.invalid.push(required('data[%s][username]'), required('data[%s][password]'));
      }
    } else if (type === 'kubernetes.io/ssh-auth') {
      if (!has('ssh-privatekey')) out.invalid.push(required('data[%s][ssh-privatekey]'));
    }
    for (const k of SECRET_REQUIRED_KEYS[type] ?? []) {
      if (!has(k)) out.invalid.push(required(key('data', k)));
    }
    if (ctx.operation === 'update' && ctx.old) {
      const oldType = asString(ctx.old.type) || 'Opaque';
      if ((type || oldType) !== oldType)
        out.invalid.push(invalid('type', type, 'field is immutable'));
      immutableData(obj, ctx.old, ['data'], out);
    }
  },
};

const configMap: KindValidator = {
  meta: namespaced(),
  fields: ['data', 'binaryData', 'immutable'],
  validate(obj, out, ctx) {
    const binary = asObject(obj.binaryData);
    for (const k of Object.keys(asObject(obj.data))) {
      if (Object.hasOwn(binary, k)) {
        out.invalid.push(invalid(key('data', k), k, 'duplicate of key present in binaryData'));
      }
    }
    const total = validateDataMaps(
      [
        { field: 'data', data: obj.data, binary: false },
        { field: 'binaryData', data: obj.binaryData, binary: true },
      ],
      out,
    );
    // The real server reports this against the whole object, with an empty field path.
    if (total > MAX_SECRET_SIZE) out.invalid.push(tooLong('', MAX_SECRET_SIZE));
    if (ctx.operation === 'update') immutableData(obj, ctx.old, ['data', 'binaryData'], out);
  },
};

const serviceAccount: KindValidator = {
  meta: namespaced(),
  fields: ['secrets', 'imagePullSecrets', 'automountServiceAccountToken'],
  validate() {},
};

/** Path segment names: what the generic ObjectMeta check allows once type validation passes. */
function pathSegmentName(name: string, prefix: boolean): string[] {
  if (!prefix && (name === '.' || name === '..')) return [`may not be '${name}'`];
  return ['/', '%'].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
}

const LIMITS = { reportingInstance: 128, action: 128, reason: 128, message: 1024 } as const;

/**
 * core/v1 Events only get the legacy checks; the generic ObjectMeta validation (name required,
 * labels, …) runs only when those pass, as in rest.BeforeCreate.
 */
const event: KindValidator = {
  meta: { namespaced: true, name: pathSegmentName },
  fields: [
    'involvedObject', 'reason', 'message', 'source', 'firstTimestamp', 'lastTimestamp', 'count',
    'type', 'eventTime', 'series', 'action', 'related', 'reportingComponent', 'reportingInstance',
  ], // prettier-ignore
  metaAfterType: true,
  validate(obj, out) {
    const ns = asString(asObject(obj.metadata).namespace);
    const involvedNs = asString(asObject(obj.involvedObject).namespace);
    const mismatch = () =>
      out.invalid.push(
        invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'),
      );
    if (!obj.eventTime) {
      if (involvedNs ? ns !== involvedNs : ns !== '' && ns !== 'default') mismatch();
    } else {
      if (!involvedNs && ns !== 'default' && ns !== 'kube-system') mismatch();
      // JSON calls it reportingComponent; the error path uses the Go field name.
      const controller = asString(obj.reportingComponent);
      if (!controller) out.invalid.push(required('reportingController'));
      for (const msg of isLabelKey(controller)) {
        out.invalid.push(invalid('reportingController', controller, msg));
      }
      for (const [field, limit] of Object.entries(LIMITS)) {
        const value = asString(obj[field]);
        if (!value && field !== 'message') out.invalid.push(required(field));
        if (byteLength(value) > limit) {
          out.invalid.push(invalid(field, '', `can have at most ${limit} characters`));
        }
      }
    }
    for (const msg of isDNS1123Subdomain(ns)) out.invalid.push(invalid('namespace', ns, msg));
  },
};

export const CORE_KINDS: Record<string, KindValidator> = {
  Pod: pod,
  Service: service,
  Namespace: namespace,
  Secret: secret,
  ConfigMap: configMap,
  ServiceAccount: serviceAccount,
  Event: event,
};
