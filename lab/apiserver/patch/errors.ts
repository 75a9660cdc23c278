import { failureStatus } from '../errors.js';

/**
 * How a failed patch is answered. kube-apiserver turns patch failures into a handful of
 * `Status` shapes (k8s.io/apiserver/pkg/endpoints/handlers/patch.go); `PatchError` carries
 * exactly what the lab server needs to reproduce them.
 */

/**
 * - `BadRequest` (400): undecodable body, malformed strategic-merge directives.
 * - `Invalid` (422): a JSON patch operation that does not apply (failed `test`, missing
 *   path, ...) and the two strategic-merge errors kube-apiserver maps to 422. The real
 *   server answers these with `errors.NewGenericServerResponse(422, ...)`, whose message is
 *   the fixed "the server rejected our request due to an error in our request" and whose
 *   details are `{}`: the library's own error text never reaches the client. We keep it in
 *   {@link PatchError.detail} for logs.
 * - `UnsupportedMediaType` (415): content type not accepted for the resource.
 * - `RequestEntityTooLarge` (413): a JSON patch with more than 10000 operations.
 * - `InternalError` (500): strategic-merge errors kube-apiserver does not classify (unknown
 *   `$patch` value, missing merge key, ...). They reach `ErrorToAPIStatus` as plain Go
 *   errors, which answers 500 with an empty reason (`StatusReasonUnknown`) and the error
 *   text as message.
 * - `Conflict` (409): not produced by the patch functions; kept so callers can share the type.
 */
export type PatchErrorKind =
  | 'BadRequest'
  | 'Invalid'
  | 'UnsupportedMediaType'
  | 'Conflict'
  | 'RequestEntityTooLarge'
  | 'InternalError';

const ANSWERS: Readonly<Record<PatchErrorKind, { code: number; reason: string }>> = {
  BadRequest: { code: 400, reason: 'BadRequest' },
  Invalid: { code: 422, reason: 'Invalid' },
  UnsupportedMediaType: { code: 415, reason: 'UnsupportedMediaType' },
  Conflict: { code: 409, reason: 'Conflict' },
  RequestEntityTooLarge: { code: 413, reason: 'RequestEntityTooLarge' },
  // metav1.StatusReasonUnknown is the empty string; the Status omits `reason`.
  InternalError: { code: 500, reason: '' },
};

/** The fixed message of `NewGenericServerResponse(422, ...)`. */
export const UNPROCESSABLE_MESSAGE =
  'the server rejected our request due to an error in our request';

export interface PatchErrorOptions {
  /** `Status.details` exactly as the real server sends it, when it sends one. */
  details?: Record<string, unknown>;
  /** The underlying library error, for logs; never part of the answer. */
  detail?: string;
}

export class PatchError extends Error {
  /** HTTP status code of the answer. */
  readonly code: number;
  /** `metav1.StatusReason` of the answer; '' means no reason (StatusReasonUnknown). */
  readonly reason: string;
  readonly details: Record<string, unknown> | undefined;
  readonly detail: string | undefined;

  constructor(
    message: string,
    readonly kind: PatchErrorKind,
    options: PatchErrorOptions = {},
  ) {
    super(message);
    this.name = 'PatchError';
    this.code = ANSWERS[kind].code;
    this.reason = ANSWERS[kind].reason;
    this.details = options.details;
    this.detail = options.detail;
  }

  /** The `Status` object kube-apiserver answers with. */
  toStatus(): Record<string, unknown> {
    return failureStatus(this.code, this.reason, this.message, this.details);
  }
}

export const badRequest = (message: string): PatchError => new PatchError(message, 'BadRequest');

/** A 422 as `NewGenericServerResponse(http.StatusUnprocessableEntity, ...)` builds it. */
export const unprocessable = (detail: string): PatchError =>
  new PatchError(UNPROCESSABLE_MESSAGE, 'Invalid', { details: {}, detail });

/** A plain Go error reaching `ErrorToAPIStatus`: 500, no reason, the error text as message. */
export const internal = (message: string): PatchError => new PatchError(message, 'InternalError');
