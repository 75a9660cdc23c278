import type { Registry } from '../apiserver/registry.js';
import type { KubeObject } from '../apiserver/types.js';
import type { ContainerExit } from '../controllers/kubelet.js';
import { PODS, SECRETS } from '../controllers/objects.js';
import { secretNotAfter } from './certificates.js';
import { containerReady, containerRunning, incarnation, labelsOf } from './cluster.js';

export const DISCOVERY = 'discovery';
const PLUGGED_CA = 'cacerts';
const SELF_SIGNED_CA = 'istio-ca-secret';

export function isIstiod(pod: KubeObject): boolean {
  return labelsOf(pod).app === 'istiod';
}

export interface Istiod {
  pod: KubeObject;
  namespace: string;
  name: string;
  uid: string;
  revision: string;
  running: boolean;
  /** Serving: running and past its readiness probe; only then does the Service route to it. */
  ready: boolean;
  incarnation: string;
}

export function istiods(registry: Registry): Istiod[] {
  return registry.store
    .peek(PODS, undefined)
    .filter(isIstiod)
    .map((pod) => ({
      pod,
      namespace: pod.metadata.namespace ?? '',
      name: pod.metadata.name ?? '',
      uid: pod.metadata.uid ?? '',
      revision: labelsOf(pod)['istio.io/rev'] ?? 'default',
      running: containerRunning(pod, DISCOVERY),
      ready: containerRunning(pod, DISCOVERY) && containerReady(pod, DISCOVERY),
      incarnation: incarnation(pod, DISCOVERY),
    }));
}

/** The CA istiod signs workload certificates with: the plugged-in `cacerts`, else its self-signed root. */
export interface MeshCa {
  source: 'cacerts' | 'self-signed';
  certChainNotAfter?: Date;
  rootNotAfter?: Date;
  /** Why istiod cannot load this CA (it then exits at start, as istiod does). */
  invalid?: string;
}

export function meshCa(registry: Registry, namespace: string, now: Date): MeshCa {
  const plugged = registry.store.get(SECRETS, namespace, PLUGGED_CA);
  if (plugged) {
    const certChainNotAfter = secretNotAfter(plugged, 'ca-cert.pem');
    const rootNotAfter = secretNotAfter(plugged, 'root-cert.pem') ?? certChainNotAfter;
    const invalid =
      certChainNotAfter === undefined
        ? 'failed to create CA: ca-cert.pem in secret cacerts is missing or not a certificate'
        : certChainNotAfter < now
          ? 'failed to create CA: failed to verify the CA certificate in secret cacerts: x509: certificate has expired or is not yet valid'
          : undefined;
    return {
      source: 'cacerts',
      ...(certChainNotAfter && { certChainNotAfter }),
      ...(rootNotAfter && { rootNotAfter }),
      ...(invalid && { invalid }),
    };
  }
  const selfSigned = registry.store.get(SECRETS, namespace, SELF_SIGNED_CA);
  const notAfter = secretNotAfter(selfSigned, 'ca-cert.pem');
  return {
    source: 'self-signed',
    ...(notAfter && { certChainNotAfter: notAfter, rootNotAfter: notAfter }),
  };
}

/** istiod refuses to start with a plugged-in CA it cannot load, so the pod crash-loops. */
export function istiodExit(
  registry: Registry,
  pod: KubeObject,
  container: string,
  now: Date,
): ContainerExit | undefined {
  if (!isIstiod(pod) || container !== DISCOVERY) return undefined;
  const ca = meshCa(registry, pod.metadata.namespace ?? '', now);
  return ca.invalid ? { exitCode: 1, reason: 'Error', message: ca.invalid } : undefined;
}
