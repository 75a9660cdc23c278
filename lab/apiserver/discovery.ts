import { groupVersion, RESOURCE_TYPES, verbsOf, type ResourceType } from './resources.js';

/** The Kubernetes version the lab reports; kubectl and clients use it for feature checks. */
export const LAB_KUBERNETES_VERSION = {
  major: '1',
  minor: '30',
  gitVersion: 'v1.30.0-gameday-lab',
};

export function versionInfo(): Record<string, string> {
  return {
    ...LAB_KUBERNETES_VERSION,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.22.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function coreVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groups(): Map<string, string[]> {
  const byGroup = new Map<string, string[]>();
  for (const type of RESOURCE_TYPES) {
    if (type.group === '') continue;
    const versions = byGroup.get(type.group) ?? [];
    for (const version of type.versions) if (!versions.includes(version)) versions.push(version);
    byGroup.set(type.group, versions);
  }
  return byGroup;
}

function groupDocument(name: string, versions: string[]): Record<string, unknown> {
  const entries = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: entries, preferredVersion: entries[0] };
}

export function apiGroupList(): Record<string, unknown> {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups()].map(([name, versions]) => groupDocument(name, versions)),
  };
}

export function apiGroup(name: string): Record<string, unknown> | undefined {
  const versions = groups().get(name);
  return versions && { kind: 'APIGroup', apiVersion: 'v1', ...groupDocument(name, versions) };
}

export function apiResourceList(
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const types = RESOURCE_TYPES.filter(
    (type) => type.group === group && type.versions.includes(version),
  );
  if (types.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupVersion(group, version),
    resources: types.flatMap((type) => [resourceEntry(type), ...subresourceEntries(type)]),
  };
}

function resourceEntry(type: ResourceType): Record<string, unknown> {
  return {
    name: type.plural,
    singularName: type.singular,
    namespaced: type.namespaced,
    kind: type.kind,
    verbs: verbsOf(type),
    ...(type.shortNames && { shortNames: type.shortNames }),
    ...(type.categories && { categories: type.categories }),
  };
}

function subresourceEntries(type: ResourceType): Record<string, unknown>[] {
  return (type.subresources ?? []).map((sub) => ({
    name: `${type.plural}/${sub}`,
    singularName: '',
    namespaced: type.namespaced,
    kind: type.kind,
    verbs: ['get', 'patch', 'update'],
  }));
}
