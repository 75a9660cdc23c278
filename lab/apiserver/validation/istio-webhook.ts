/**
 * What Istio's validating webhook (istio/istio pkg/config/validation) rejects beyond the CRD
 * schema. Each finding's message is Istio's own error text; denialMessage() in index.ts assembles
 * the webhook's response from them.
 */
import { asObject, asString, goQuote, type Findings, type Json } from './field.js';
import { validateAuthorizationPolicy } from './istio-authz.js';
import { denier, type Deny } from './istio-common.js';
import { validateGateway } from './istio-gateway.js';
import { validateDestinationRule, validateVirtualService } from './istio-routes.js';

// ---- every kind: annotations the webhook checks first (validateMetadata) ----
function metadataDenial(kind: string, meta: Json, spec: Json, deny: Deny): boolean {
  const annotations = asObject(meta.annotations);
  const ns = asString(meta.namespace);
  const name = asString(meta.name);
  const dryRun = annotations['istio.io/dry-run'];
  if (dryRun !== undefined) {
    const value = asString(dryRun);
    if (kind !== 'AuthorizationPolicy') {
      deny(
        'metadata.annotations',
        `${ns}/${name} has unsupported annotation istio.io/dry-run, please remove the annotation`,
      );
      return true;
    }
    const action = asString(spec.action) || 'ALLOW';
    if (action !== 'ALLOW' && action !== 'DENY') {
      deny(
        'metadata.annotations',
        `the annotation istio.io/dry-run currently only supports action ALLOW/DENY, found action ${action} in ${ns}/${name}`,
      );
      return true;
    }
    if (
      !['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False'].includes(
        value,
      )
    ) {
      deny(
        'metadata.annotations',
        `${ns}/${name} has annotation istio.io/dry-run with invalid value (${value}): strconv.ParseBool: parsing ${goQuote(value)}: invalid syntax`,
      );
      return true;
    }
  }
  for (const internal of ['internal.istio.io/parent-namespace', 'internal.istio.io/parent-names']) {
    if (internal in annotations) {
      deny(
        'metadata.annotations',
        `${goQuote(internal)} annotation found, this may not be set by users`,
      );
      return true;
    }
  }
  return false;
}

/** Runs Istio's webhook validation for one of the four kinds, pushing to out.denied. */
export function istioWebhook(kind: string, meta: Json, spec: Json, out: Findings): void {
  const deny = denier(out);
  if (metadataDenial(kind, meta, spec, deny)) return;
  const ns = asString(meta.namespace);
  if (kind === 'AuthorizationPolicy') validateAuthorizationPolicy(spec, deny);
  else if (kind === 'Gateway') validateGateway(asString(meta.name), spec, deny);
  else if (kind === 'VirtualService') validateVirtualService(ns, spec, deny);
  else if (kind === 'DestinationRule') validateDestinationRule(ns, spec, deny);
}
