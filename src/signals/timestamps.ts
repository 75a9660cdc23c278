/** RFC 3339 timestamps as Prometheus and Alertmanager write them (Go's time.Time in JSON). */

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Milliseconds since the epoch, or undefined for Go's zero time (`0001-01-01T00:00:00Z`, which
 * Alertmanager writes for "not set") and for anything that is not an RFC 3339 timestamp.
 * Fractions beyond milliseconds (Go writes nanoseconds) are truncated.
 */
export function parseSourceTime(text: string | undefined | null): number | undefined {
  if (text === undefined || text === null) return undefined;
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction = '', zone = 'Z'] = match;
  if (Number(year) <= 1) return undefined;
  const millis = (fraction + '000').slice(0, 3);
  const ms = Date.parse(
    `${year}-${month}-${day}T${hour}:${minute}:${second}.${millis}${zone.toUpperCase()}`,
  );
  return Number.isNaN(ms) ? undefined : ms;
}

/** Whether the text is an RFC 3339 timestamp (Go's zero time included). */
export function isRfc3339(text: string): boolean {
  const match = RFC3339.exec(text);
  return match !== null && !Number.isNaN(Date.parse(`${text.slice(0, 19)}Z`));
}
