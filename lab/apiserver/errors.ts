import type { FieldCause } from './types.js';
import { qualifiedResource, type ResourceType } from './resources.js';

/** `metav1.StatusReason` values the lab answers with. */
export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: FieldCause[];
  retryAfterSeconds?: number;
}

/** An error the API server answers with a `Status` object, exactly as kube-apiserver would. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    /** Empty for errors kube-apiserver reports without a reason (some 500s). */
    readonly reason: StatusReason | '',
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): Record<string, unknown> {
    return failureStatus(this.code, this.reason, this.message, this.details);
  }
}

/** A failure `Status` object as kube-apiserver sends it; an empty reason is left out. */
export function failureStatus(
  code: number,
  reason: string,
  message: string,
  details: object | undefined,
): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    ...(reason !== '' && { reason }),
    ...(details && { details }),
    code,
  };
}

function resourceDetails(type: ResourceType, name: string): StatusDetails {
  return { name, group: type.group, kind: type.plural };
}

export const errors = {
  notFound: (type: ResourceType, name: string) =>
    new ApiError(
      404,
      'NotFound',
      `${qualifiedResource(type)} "${name}" not found`,
      resourceDetails(type, name),
    ),
  namespaceNotFound: (name: string) =>
    new ApiError(404, 'NotFound', `namespaces "${name}" not found`, { name, kind: 'namespaces' }),
  alreadyExists: (type: ResourceType, name: string) =>
    new ApiError(
      409,
      'AlreadyExists',
      `${qualifiedResource(type)} "${name}" already exists`,
      resourceDetails(type, name),
    ),
  conflict: (type: ResourceType, name: string, why: string) =>
    new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualifiedResource(type)} "${name}": ${why}`,
      resourceDetails(type, name),
    ),
  invalid: (type: ResourceType, name: string, message: string, causes: FieldCause[]) =>
    new ApiError(422, 'Invalid', message, {
      ...resourceDetails(type, name),
      kind: type.kind,
      causes,
    }),
  badRequest: (message: string) => new ApiError(400, 'BadRequest', message),
  methodNotAllowed: (message = 'the server does not allow this method on the requested resource') =>
    new ApiError(405, 'MethodNotAllowed', message),
  unsupportedMediaType: (message: string) => new ApiError(415, 'UnsupportedMediaType', message),
  notAcceptable: (message: string) => new ApiError(406, 'NotAcceptable', message),
  expired: (message: string) => new ApiError(410, 'Expired', message),
  unauthorized: () => new ApiError(401, 'Unauthorized', 'Unauthorized'),
  forbidden: (
    user: string,
    verb: string,
    type: ResourceType | undefined,
    namespace: string | undefined,
    name?: string,
  ) => {
    const resource = type ? type.plural : 'resource';
    const subject = type ? qualifiedResource(type) : resource;
    const target = name ? ` "${name}"` : '';
    const scope = namespace
      ? ` in the namespace "${namespace}"`
      : type?.namespaced === false
        ? ' at the cluster scope'
        : '';
    return new ApiError(
      403,
      'Forbidden',
      `${subject}${target} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${type?.group ?? ''}"${scope}`,
      { ...(name !== undefined && { name }), group: type?.group ?? '', kind: resource },
    );
  },
  pathNotFound: () =>
    new ApiError(404, 'NotFound', 'the server could not find the requested resource', {}),
  tooLarge: (message: string) => new ApiError(413, 'RequestEntityTooLarge', message),
};
