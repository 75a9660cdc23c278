/** Helpers that keep credentials out of logs, reports and error messages. */

export const REDACTED = '[REDACTED]';

/** A URL with any user/password replaced, safe to print (e.g. redis://:[REDACTED]@host:6379). */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.username) url.username = REDACTED;
    if (url.password) url.password = REDACTED;
    return url.toString();
  } catch {
    return REDACTED;
  }
}

interface MaybeKubernetesObject {
  kind?: unknown;
  data?: unknown;
  stringData?: unknown;
  items?: unknown;
}

/**
 * A copy of a Kubernetes object (or list) in which every Secret's `data` and
 * `stringData` values are replaced, keeping the keys so logs still say what was there.
 */
export function redactSecretData<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  const object = value as MaybeKubernetesObject;
  if (Array.isArray(object.items)) {
    return { ...object, items: object.items.map((item: unknown) => redactSecretData(item)) } as T;
  }
  if (object.kind !== 'Secret') return value;
  return {
    ...object,
    ...(object.data !== undefined && { data: redactValues(object.data) }),
    ...(object.stringData !== undefined && { stringData: redactValues(object.stringData) }),
  } as T;
}

function redactValues(record: unknown): Record<string, string> | unknown {
  if (record === null || typeof record !== 'object') return REDACTED;
  return Object.fromEntries(Object.keys(record).map((key) => [key, REDACTED]));
}
