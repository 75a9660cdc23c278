import type { Registry } from './apiserver/registry.js';
import { RESOURCE_TYPES } from './apiserver/resources.js';
import type { KubeObject } from './apiserver/types.js';

const NAMESPACE = RESOURCE_TYPES.find((type) => type.kind === 'Namespace')!;

/** Namespaces every cluster has, plus the mesh namespaces of the seeded topology (SPEC §9). */
const NAMESPACES: Array<{ name: string; labels?: Record<string, string> }> = [
  { name: 'default' },
  { name: 'kube-system' },
  { name: 'kube-public' },
  { name: 'kube-node-lease' },
  { name: 'istio-system' },
  { name: 'payments', labels: { 'istio-injection': 'enabled' } },
  { name: 'orders', labels: { 'istio-injection': 'enabled' } },
  { name: 'frontend', labels: { 'istio.io/rev': 'default' } },
];

export function seedNamespaces(registry: Registry): void {
  for (const { name, labels } of NAMESPACES) {
    const object: KubeObject = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } },
    };
    registry.create(NAMESPACE, undefined, object);
  }
}
