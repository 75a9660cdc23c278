/** The resource types the lab serves, as a real cluster's discovery documents describe them. */

export interface ResourceType {
  /** API group; '' for the core group. */
  group: string;
  /** Served versions, preferred (and storage) version first. */
  versions: readonly string[];
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: readonly string[];
  categories?: readonly string[];
  /** Subresources served at `<object>/<name>`; only `status` so far. */
  subresources?: readonly 'status'[];
  /** Built-in kinds are typed in kube-apiserver; CRDs (the Istio kinds) are not. */
  builtin: boolean;
}

const VERBS_NAMESPACED = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

export const RESOURCE_TYPES: readonly ResourceType[] = [
  core('Namespace', 'namespaces', false, ['ns'], ['status']),
  core('Pod', 'pods', true, ['po'], ['status'], ['all']),
  core('Service', 'services', true, ['svc'], ['status'], ['all']),
  core('ServiceAccount', 'serviceaccounts', true, ['sa']),
  core('Secret', 'secrets', true),
  core('ConfigMap', 'configmaps', true, ['cm']),
  core('Event', 'events', true, ['ev']),
  {
    group: 'apps',
    versions: ['v1'],
    kind: 'Deployment',
    plural: 'deployments',
    singular: 'deployment',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: ['status'],
    builtin: true,
  },
  {
    group: 'apps',
    versions: ['v1'],
    kind: 'ReplicaSet',
    plural: 'replicasets',
    singular: 'replicaset',
    namespaced: true,
    shortNames: ['rs'],
    categories: ['all'],
    subresources: ['status'],
    builtin: true,
  },
  {
    group: 'networking.k8s.io',
    versions: ['v1'],
    kind: 'NetworkPolicy',
    plural: 'networkpolicies',
    singular: 'networkpolicy',
    namespaced: true,
    shortNames: ['netpol'],
    builtin: true,
  },
  {
    group: 'admissionregistration.k8s.io',
    versions: ['v1'],
    kind: 'MutatingWebhookConfiguration',
    plural: 'mutatingwebhookconfigurations',
    singular: 'mutatingwebhookconfiguration',
    namespaced: false,
    categories: ['api-extensions'],
    builtin: true,
  },
  istio('security.istio.io', 'AuthorizationPolicy', 'authorizationpolicies', ['ap']),
  istio('networking.istio.io', 'Gateway', 'gateways', ['gw']),
  istio('networking.istio.io', 'VirtualService', 'virtualservices', ['vs']),
  istio('networking.istio.io', 'DestinationRule', 'destinationrules', ['dr']),
];

export function verbsOf(_type: ResourceType): string[] {
  return VERBS_NAMESPACED;
}

/** `pods`, `deployments.apps`: how kube-apiserver names a resource in its messages. */
export function qualifiedResource(type: ResourceType): string {
  return type.group === '' ? type.plural : `${type.plural}.${type.group}`;
}

export function groupVersion(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

export function findResource(
  group: string,
  version: string,
  plural: string,
): ResourceType | undefined {
  return RESOURCE_TYPES.find(
    (type) => type.group === group && type.plural === plural && type.versions.includes(version),
  );
}

export function findResourceByKind(apiVersion: string, kind: string): ResourceType | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return RESOURCE_TYPES.find(
    (type) => type.group === group && type.kind === kind && type.versions.includes(version ?? ''),
  );
}

function core(
  kind: string,
  plural: string,
  namespaced: boolean,
  shortNames?: string[],
  subresources?: 'status'[],
  categories?: string[],
): ResourceType {
  return {
    group: '',
    versions: ['v1'],
    kind,
    plural,
    singular: kind.toLowerCase(),
    namespaced,
    ...(shortNames && { shortNames }),
    ...(subresources && { subresources }),
    ...(categories && { categories }),
    builtin: true,
  };
}

function istio(group: string, kind: string, plural: string, shortNames: string[]): ResourceType {
  return {
    group,
    versions: ['v1', 'v1beta1'],
    kind,
    plural,
    singular: kind.toLowerCase(),
    namespaced: true,
    shortNames,
    categories:
      group === 'security.istio.io'
        ? ['istio-io', 'security-istio-io']
        : ['istio-io', 'networking-istio-io'],
    builtin: false,
  };
}
