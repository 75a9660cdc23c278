/**
 * Strategic-merge metadata of the built-in kinds the lab serves: the `patchStrategy` and
 * `patchMergeKey` struct tags of the Go types in k8s.io/api, which is all
 * k8s.io/apimachinery/pkg/util/strategicpatch looks at.
 *
 * Only tagged fields, and the struct fields that lead to them, are listed. Every field not
 * listed behaves as an untagged Go field does: objects merge key by key, lists are replaced
 * whole. Tags were taken from k8s.io/api (core/v1, apps/v1, admissionregistration/v1) and
 * k8s.io/apimachinery (meta/v1); notably untagged, hence replaced by a patch:
 * `PodSpec.tolerations`, `Container.envFrom`, `Container.command/args`,
 * `Container.resizePolicy`, `NamespaceSpec.finalizers`, `ServiceAccount.imagePullSecrets`,
 * `ResourceRequirements.claims`, all NetworkPolicy lists, `MutatingWebhook.rules`.
 */

/** The `patchStrategy` struct tag. `retainKeys` only affects how clients compute patches. */
export type PatchStrategy = 'merge' | 'replace' | 'retainKeys' | 'merge,retainKeys';

export interface FieldMeta {
  readonly patchStrategy?: PatchStrategy;
  /** The `patchMergeKey` struct tag: the field identifying an element of a merged list. */
  readonly patchMergeKey?: string;
  /** The field's Go type (for a list: its element type), when it has tagged fields itself. */
  readonly type?: TypeSchema;
}

/** One Go struct: its name (used in error messages) and its JSON fields' metadata. */
export interface TypeSchema {
  readonly name: string;
  readonly fields: Readonly<Record<string, FieldMeta>>;
}

/** The schema a strategic merge patch is applied with: the object kind's top-level type. */
export type StrategicSchema = TypeSchema;

function struct(name: string, fields: Record<string, FieldMeta>): TypeSchema {
  return Object.freeze({ name, fields: Object.freeze(fields) });
}

const mergeBy = (patchMergeKey: string, type?: TypeSchema): FieldMeta =>
  type
    ? { patchStrategy: 'merge', patchMergeKey, type }
    : { patchStrategy: 'merge', patchMergeKey };

// --- meta/v1 -------------------------------------------------------------------------

const ObjectMeta = struct('ObjectMeta', {
  // +listType=set; a list of strings merged as a set.
  finalizers: { patchStrategy: 'merge' },
  ownerReferences: mergeBy('uid'),
});

// --- core/v1 -------------------------------------------------------------------------

const containerFields = {
  ports: mergeBy('containerPort'),
  env: mergeBy('name'),
  volumeMounts: mergeBy('mountPath'),
  volumeDevices: mergeBy('devicePath'),
};
const Container = struct('Container', containerFields);
// EphemeralContainerCommon repeats Container's fields and tags.
const EphemeralContainer = struct('EphemeralContainer', containerFields);

const PodSpec = struct('PodSpec', {
  volumes: { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
  initContainers: mergeBy('name', Container),
  containers: mergeBy('name', Container),
  ephemeralContainers: mergeBy('name', EphemeralContainer),
  imagePullSecrets: mergeBy('name'),
  hostAliases: mergeBy('ip'),
  // The SSA list map key also has whenUnsatisfiable; the patchMergeKey tag is topologyKey only.
  topologySpreadConstraints: mergeBy('topologyKey'),
  resourceClaims: { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
  schedulingGates: mergeBy('name'),
});

const ContainerStatus = struct('ContainerStatus', {
  allocatedResourcesStatus: mergeBy('name'),
});

const PodStatus = struct('PodStatus', {
  conditions: mergeBy('type'),
  podIPs: mergeBy('ip'),
  hostIPs: mergeBy('ip'),
  resourceClaimStatuses: { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
  initContainerStatuses: { type: ContainerStatus },
  containerStatuses: { type: ContainerStatus },
  ephemeralContainerStatuses: { type: ContainerStatus },
});

const Pod = struct('Pod', {
  metadata: { type: ObjectMeta },
  spec: { type: PodSpec },
  status: { type: PodStatus },
});

const PodTemplateSpec = struct('PodTemplateSpec', {
  metadata: { type: ObjectMeta },
  spec: { type: PodSpec },
});

const Service = struct('Service', {
  metadata: { type: ObjectMeta },
  // The SSA list map key also has protocol; the patchMergeKey tag is port only.
  spec: { type: struct('ServiceSpec', { ports: mergeBy('port') }) },
  status: { type: struct('ServiceStatus', { conditions: mergeBy('type') }) },
});

const Namespace = struct('Namespace', {
  metadata: { type: ObjectMeta },
  status: { type: struct('NamespaceStatus', { conditions: mergeBy('type') }) },
});

const ServiceAccount = struct('ServiceAccount', {
  metadata: { type: ObjectMeta },
  secrets: mergeBy('name'),
});

/** Kinds whose only tagged fields are in their metadata (Secret, ConfigMap, Event, ...). */
const metadataOnly = (name: string): TypeSchema => struct(name, { metadata: { type: ObjectMeta } });

// --- apps/v1 -------------------------------------------------------------------------

const Deployment = struct('Deployment', {
  metadata: { type: ObjectMeta },
  spec: {
    type: struct('DeploymentSpec', {
      template: { type: PodTemplateSpec },
      strategy: { patchStrategy: 'retainKeys' },
    }),
  },
  status: { type: struct('DeploymentStatus', { conditions: mergeBy('type') }) },
});

const ReplicaSet = struct('ReplicaSet', {
  metadata: { type: ObjectMeta },
  spec: { type: struct('ReplicaSetSpec', { template: { type: PodTemplateSpec } }) },
  status: { type: struct('ReplicaSetStatus', { conditions: mergeBy('type') }) },
});

// --- admissionregistration.k8s.io/v1 -------------------------------------------------

const MutatingWebhookConfiguration = struct('MutatingWebhookConfiguration', {
  metadata: { type: ObjectMeta },
  webhooks: mergeBy('name'),
});

/**
 * Strategic-merge schemas of the built-in kinds, keyed `<group>/<Kind>` (the core group is
 * ''). Custom resources (the Istio kinds) have none: kube-apiserver does not accept
 * strategic merge patches for them.
 */
export const BUILTIN_STRATEGIC_SCHEMAS: Readonly<Record<string, StrategicSchema>> = Object.freeze({
  '/Pod': Pod,
  '/Service': Service,
  '/Namespace': Namespace,
  '/ServiceAccount': ServiceAccount,
  '/Secret': metadataOnly('Secret'),
  '/ConfigMap': metadataOnly('ConfigMap'),
  '/Event': metadataOnly('Event'),
  'apps/Deployment': Deployment,
  'apps/ReplicaSet': ReplicaSet,
  'networking.k8s.io/NetworkPolicy': metadataOnly('NetworkPolicy'),
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': MutatingWebhookConfiguration,
});

/** The strategic-merge schema of a built-in kind; undefined for custom resources. */
export function strategicSchemaFor(group: string, kind: string): StrategicSchema | undefined {
  const key = `${group}/${kind}`;
  return Object.prototype.hasOwnProperty.call(BUILTIN_STRATEGIC_SCHEMAS, key)
    ? BUILTIN_STRATEGIC_SCHEMAS[key]
    : undefined;
}
