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

/**
 * Secret data with private keys replaced and certificates kept, for dry-run plans (they end up in
 * run records and reports) where a reviewer should see what would be installed. Judged by
 * content as well as by key name: `ca-key.pem` in cacerts, `tls.key` in a gateway credential.
 */
export function withoutKeyMaterial(data: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(data).map(([key, value]) => [
      key,
      /key/i.test(key) || /PRIVATE KEY/.test(Buffer.from(value, 'base64').toString('latin1'))
        ? REDACTED
        : value,
    ]),
  );
}

/** A planned object as a dry run may show it: a Secret's key material replaced. */
export function plannedBody<T>(object: T): T {
  const secret = object as { kind?: unknown; data?: unknown };
  if (secret?.kind !== 'Secret' || secret.data === null || typeof secret.data !== 'object')
    return object;
  return { ...object, data: withoutKeyMaterial(secret.data as Record<string, string>) };
}
