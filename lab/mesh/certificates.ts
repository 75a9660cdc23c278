import type { Registry } from '../apiserver/registry.js';
import type { KubeObject } from '../apiserver/types.js';
import { dict, GATEWAYS, list, SECRETS } from '../controllers/objects.js';
import { describeCertificate } from '../../src/pki.js';

const notAfters = new Map<string, Date | undefined>();

function notAfterOf(base64Pem: unknown): Date | undefined {
  if (typeof base64Pem !== 'string' || base64Pem === '') return undefined;
  if (!notAfters.has(base64Pem)) {
    let notAfter: Date | undefined;
    try {
      notAfter = describeCertificate(Buffer.from(base64Pem, 'base64').toString('utf8')).notAfter;
    } catch {
      notAfter = undefined;
    }
    if (notAfters.size > 256) notAfters.clear();
    notAfters.set(base64Pem, notAfter);
  }
  return notAfters.get(base64Pem);
}

/** Not-after of the certificate in a Secret (`tls.crt`, `cert` or `ca-cert.pem`), parsed once per content. */
export function secretNotAfter(secret: KubeObject | undefined, key?: string): Date | undefined {
  const data = dict(secret?.data);
  if (key) return notAfterOf(data[key]);
  return notAfterOf(data['tls.crt'] ?? data.cert);
}

/**
 * The earliest not-after among the credentials the gateway pod is configured to serve
 * (every HTTPS server of every Gateway selecting it), what Envoy's
 * `days_until_first_cert_expiring` reports.
 */
export function gatewayCertNotAfter(
  registry: Registry,
  gatewayPod: { namespace: string; labels: Record<string, string> },
): Date | undefined {
  let earliest: Date | undefined;
  for (const gateway of registry.store.peek(GATEWAYS, undefined)) {
    const spec = dict(gateway.spec);
    const selector = Object.entries(dict(spec.selector));
    if (!selector.every(([key, value]) => gatewayPod.labels[key] === value)) continue;
    for (const server of list(spec.servers)) {
      const credential = dict(server.tls).credentialName;
      if (typeof credential !== 'string') continue;
      const notAfter = secretNotAfter(
        registry.store.get(SECRETS, gatewayPod.namespace, credential),
      );
      if (notAfter && (!earliest || notAfter < earliest)) earliest = notAfter;
    }
  }
  return earliest;
}
