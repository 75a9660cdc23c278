/** Shapes shared by the lab API server's modules. */

/** Any Kubernetes object as stored and served: plain JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<Record<string, unknown>>;
  finalizers?: string[];
  [field: string]: unknown;
}

/**
 * One reason a write is invalid, as the real API server reports it in
 * `Status.details.causes`: `reason` is a `metav1.CauseType` such as `FieldValueInvalid`,
 * `field` the JSON path (`spec.template.spec.containers[0].resources.requests`).
 */
export interface FieldCause {
  reason:
    | 'FieldValueInvalid'
    | 'FieldValueRequired'
    | 'FieldValueNotSupported'
    | 'FieldValueDuplicate'
    | 'FieldValueForbidden'
    | 'FieldValueTooLong'
    | 'FieldValueTypeInvalid'
    | 'FieldValueNotFound'
    | 'FieldValueUnknown';
  field: string;
  message: string;
}
