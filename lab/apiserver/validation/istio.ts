/**
 * Istio kinds: the CRD's structural schema (422 Invalid, unknown fields) followed by Istio's
 * validating webhook (denials). v1, v1beta1 and v1alpha3 share one schema per kind.
 */
import { asObject } from './field.js';
import { asPrefixAware } from './meta.js';
import { isDNS1123Subdomain } from './names.js';
import {
  AUTHORIZATION_POLICY,
  DESTINATION_RULE,
  GATEWAY,
  VIRTUAL_SERVICE,
  resourceSchema,
} from './istio-schemas.js';
import { istioWebhook } from './istio-webhook.js';
import { validateSchema, type Schema } from './schema.js';
import type { KindValidator } from './kinds.js';

function istioKind(kind: string, spec: Schema): KindValidator {
  const schema = resourceSchema(spec);
  return {
    // Custom resources get the generic ObjectMeta rules: a DNS-1123 subdomain name.
    meta: { namespaced: true, name: asPrefixAware(isDNS1123Subdomain) },
    validate(obj, out) {
      validateSchema(obj, schema, '', out);
      // Admission webhooks only see objects that passed validation, which runs first.
      if (out.invalid.length === 0)
        istioWebhook(kind, asObject(obj.metadata), asObject(obj.spec), out);
    },
  };
}

export const SECURITY_ISTIO_KINDS: Record<string, KindValidator> = {
  AuthorizationPolicy: istioKind('AuthorizationPolicy', AUTHORIZATION_POLICY),
};

export const NETWORKING_ISTIO_KINDS: Record<string, KindValidator> = {
  Gateway: istioKind('Gateway', GATEWAY),
  VirtualService: istioKind('VirtualService', VIRTUAL_SERVICE),
  DestinationRule: istioKind('DestinationRule', DESTINATION_RULE),
};
