import { createSecureContext, type SecureContext } from 'node:tls';
import type { Registry } from '../apiserver/registry.js';
import type { KubeObject } from '../apiserver/types.js';
import { dict } from '../controllers/objects.js';
import { describeCertificate } from '../../src/pki.js';
import {
  bestServer,
  httpsServers,
  selectedGateways,
  servedResource,
  type GatewayServer,
  type GatewayWorkload,
} from './gateway-config.js';

/**
 * The certificate the ingress gateway serves for an SNI: Gateway server → `credentialName`
 * → Secret in the gateway workload's namespace → key pair, as istiod's SDS server hands it
 * to Envoy.
 */

const SECRETS = servedResource('v1', 'Secret');

/**
 * What istiod does with a certificate that is expired or not yet valid when it loads it.
 * `serve` (Istio ≥ 1.19.1, the seeded 1.24): it logs it and counts it in
 * `pilot_sds_certificate_errors_total` but pushes it anyway, so Envoy serves it and verifying
 * clients abort the handshake. `reject` (Istio 1.18.0–1.19.0, istio/istio#47104): istiod
 * never pushes it and the handshake fails for every client.
 */
export type InvalidCertificatePolicy = 'serve' | 'reject';

export type CredentialResolution =
  | { served: false; reason: string }
  | {
      served: true;
      context: SecureContext;
      server: GatewayServer;
      /** `namespace/name` of the Secret. */
      secret: string;
      notBefore: Date;
      notAfter: Date;
      /** Set when the served leaf is outside its validity period: verifying clients reject it. */
      invalid?: string;
    };

interface LoadedKeyPair {
  context: SecureContext;
  notBefore: Date;
  notAfter: Date;
}

interface CacheEntry {
  uid: string;
  resourceVersion: string;
  loaded: LoadedKeyPair | { error: string };
}

export interface CredentialResolverOptions {
  registry: Registry;
  gatewayPod(): GatewayWorkload | undefined;
  now(): Date;
  invalidCertificates: InvalidCertificatePolicy;
}

/**
 * Resolves SNI → served certificate against the API state of the moment. Parsed key pairs
 * are cached per Secret resourceVersion, so a repointed `credentialName` or a changed Secret
 * takes effect on the next handshake; validity is checked against `now()` on every use.
 */
export function createCredentialResolver(options: CredentialResolverOptions) {
  const cache = new Map<string, CacheEntry>();

  function keyPairOf(secret: KubeObject): LoadedKeyPair | { error: string } {
    const key = `${secret.metadata.namespace ?? ''}/${secret.metadata.name ?? ''}`;
    const uid = secret.metadata.uid ?? '';
    const resourceVersion = secret.metadata.resourceVersion ?? '';
    const cached = cache.get(key);
    if (cached && cached.uid === uid && cached.resourceVersion === resourceVersion) {
      return cached.loaded;
    }
    const loaded = loadKeyPair(secret);
    cache.set(key, { uid, resourceVersion, loaded });
    return loaded;
  }

  return function resolve(serverName: string | undefined): CredentialResolution {
    const pod = options.gatewayPod();
    if (!pod) return { served: false, reason: 'no gateway pod runs' };
    if (!serverName) {
      return { served: false, reason: 'the client sent no SNI: no filter chain matches' };
    }
    const servers = httpsServers(selectedGateways(options.registry, pod));
    const server = bestServer(servers, serverName);
    if (!server) {
      return {
        served: false,
        reason: `no HTTPS server of a Gateway selecting ${pod.namespace}/${pod.pod} matches SNI ${serverName}`,
      };
    }
    const where = `server ${server.index} of Gateway ${server.gateway}`;
    if (!server.credentialName) {
      return { served: false, reason: `${where} has no tls.credentialName` };
    }
    const secretRef = `${pod.namespace}/${server.credentialName}`;
    const secret = options.registry.store.get(SECRETS, pod.namespace, server.credentialName);
    if (!secret) {
      cache.delete(secretRef);
      return {
        served: false,
        reason: `Secret ${secretRef} (credentialName of ${where}) not found`,
      };
    }
    const keyPair = keyPairOf(secret);
    if ('error' in keyPair)
      return { served: false, reason: `Secret ${secretRef}: ${keyPair.error}` };
    const invalid = validityProblem(keyPair, options.now());
    if (invalid && options.invalidCertificates === 'reject') {
      return {
        served: false,
        reason: `Secret ${secretRef}: ${invalid}; istiod rejects it and pushes no certificate`,
      };
    }
    return {
      served: true,
      context: keyPair.context,
      server,
      secret: secretRef,
      notBefore: keyPair.notBefore,
      notAfter: keyPair.notAfter,
      ...(invalid && { invalid: `Secret ${secretRef}: ${invalid}` }),
    };
  };
}

function validityProblem(keyPair: LoadedKeyPair, now: Date): string | undefined {
  if (now > keyPair.notAfter) {
    return `certificate expired at ${keyPair.notAfter.toISOString()}`;
  }
  if (now < keyPair.notBefore) {
    return `certificate is not valid before ${keyPair.notBefore.toISOString()}`;
  }
  return undefined;
}

/** The key pair as Istio reads it: generic `cert`/`key` first, then `tls.crt`/`tls.key`. */
function loadKeyPair(secret: KubeObject): LoadedKeyPair | { error: string } {
  const data = secretData(secret);
  const pair = [
    ['cert', 'key'],
    ['tls.crt', 'tls.key'],
  ].find(([cert, key]) => !!data[cert!] && !!data[key!]);
  if (!pair) {
    const found = Object.keys(data).sort().join(', ') || 'none';
    return {
      error: `found secret, but didn't have expected keys (cert and key) or (tls.crt and tls.key); found: ${found}`,
    };
  }
  const cert = data[pair[0]!]!;
  const key = data[pair[1]!]!;
  // Like istiod, only the first certificate of the chain (the leaf) is checked for validity.
  const leaf = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(cert)?.[0];
  if (!leaf) return { error: `${pair[0]} holds no PEM certificate` };
  let validity: { notBefore: Date; notAfter: Date };
  try {
    validity = describeCertificate(leaf);
  } catch (err) {
    return { error: `${pair[0]} does not parse: ${messageOf(err)}` };
  }
  try {
    return { context: createSecureContext({ cert, key }), ...validity };
  } catch (err) {
    // Envoy rejects the secret the same way: bad key PEM, or a key that does not match.
    return { error: `Envoy cannot load the key pair: ${messageOf(err)}` };
  }
}

/** `data` (base64) merged with any `stringData` the object still carries. */
function secretData(secret: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(dict(secret.data))) {
    if (typeof v === 'string') out[k] = Buffer.from(v, 'base64').toString('utf8');
  }
  for (const [k, v] of Object.entries(dict(secret.stringData))) {
    if (typeof v === 'string') out[k] = v;
  }
  return out;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
