import { RESOURCE_TYPES, type ResourceType } from '../apiserver/resources.js';
import type { KubeObject } from '../apiserver/types.js';

function resource(group: string, kind: string): ResourceType {
  const found = RESOURCE_TYPES.find((type) => type.group === group && type.kind === kind);
  if (!found) throw new Error(`the lab serves no ${kind}`);
  return found;
}

export const DEPLOYMENTS = resource('apps', 'Deployment');
export const REPLICASETS = resource('apps', 'ReplicaSet');
export const PODS = resource('', 'Pod');
export const EVENTS = resource('', 'Event');
export const NAMESPACES = resource('', 'Namespace');
export const SERVICES = resource('', 'Service');
export const SECRETS = resource('', 'Secret');
export const NETWORK_POLICIES = resource('networking.k8s.io', 'NetworkPolicy');
export const MUTATING_WEBHOOKS = resource(
  'admissionregistration.k8s.io',
  'MutatingWebhookConfiguration',
);
export const AUTHORIZATION_POLICIES = resource('security.istio.io', 'AuthorizationPolicy');
export const GATEWAYS = resource('networking.istio.io', 'Gateway');
export const VIRTUAL_SERVICES = resource('networking.istio.io', 'VirtualService');

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export function controllerReference(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function isControlledBy(object: KubeObject, owner: KubeObject): boolean {
  return (object.metadata.ownerReferences ?? []).some(
    (ref) => ref.uid === owner.metadata.uid && ref.controller === true,
  );
}

/** JSON with object keys sorted, so equal objects always serialise alike. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
        )
      : v,
  );
}

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A pod-template-hash in the style of Kubernetes' (FNV-1a, encoded without vowels). */
export function templateHash(template: unknown): string {
  let hash = 0x811c9dc5;
  for (const char of canonicalJson(template)) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  let out = '';
  let rest = hash;
  do {
    out += SAFE_ALPHABET[rest % SAFE_ALPHABET.length];
    rest = Math.floor(rest / SAFE_ALPHABET.length);
  } while (rest > 0);
  return out;
}

export interface IntOrPercent {
  value: number | string | undefined;
  fallback: string;
}

/** Resolves an int-or-percent against `total`, rounding up or down as the Deployment controller does. */
export function scaledValue(
  value: number | string | undefined,
  fallback: string,
  total: number,
  roundUp: boolean,
): number {
  const raw = value ?? fallback;
  if (typeof raw === 'number') return raw;
  const percent = /^(\d+)%$/.exec(raw);
  if (!percent) return Number(raw) || 0;
  const exact = (Number(percent[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

export type Dict = Record<string, unknown>;

export function dict(value: unknown): Dict {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Dict) : {};
}

export function list(value: unknown): Dict[] {
  return Array.isArray(value) ? (value as Dict[]) : [];
}
