// Looks for credentials where they must never be: Redis values, log lines, reports. A secret
// is searched for as given and base64-encoded; PEM private key blocks are found by their
// header, and private keys the lab holds by every line of their base64 body.
import type { Redis } from '../../src/redis.js';
import type { Lab } from '../../lab/index.js';
import type { KubeObject } from '../../lab/apiserver/types.js';
import { RESOURCE_TYPES } from '../../lab/apiserver/resources.js';

export interface Secret {
  /** What it is, for the failure message (never the value). */
  label: string;
  value: string;
}

export interface Leak {
  where: string;
  label: string;
}

/** `-----BEGIN PRIVATE KEY-----`, `-----BEGIN EC PRIVATE KEY-----`, … (also JSON-escaped). */
export const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

const MIN_SECRET_LENGTH = 12;

export class SecretScanner {
  readonly #needles = new Map<string, string>();

  constructor(secrets: Iterable<Secret> = []) {
    for (const secret of secrets) this.add(secret);
  }

  add({ label, value }: Secret): void {
    if (value.length < MIN_SECRET_LENGTH) throw new Error(`${label}: too short to scan for`);
    this.#needles.set(value, label);
    this.#needles.set(Buffer.from(value).toString('base64'), `${label} (base64)`);
  }

  /**
   * Adds the private key material of a PEM text: each line of a private key's base64 body,
   * so a key found re-wrapped or JSON-escaped in one piece is still found.
   */
  addPem(label: string, pem: string): void {
    const blocks = pem.matchAll(
      /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----([\s\S]*?)-----END \1-----/g,
    );
    for (const [, kind, body] of blocks) {
      for (const line of body!.split(/\s+/)) {
        if (line.length >= 40) this.#needles.set(line, `${label}: a line of its ${kind}`);
      }
    }
  }

  get size(): number {
    return this.#needles.size;
  }

  scan(where: string, text: string): Leak[] {
    const leaks: Leak[] = [];
    if (PEM_PRIVATE_KEY.test(text)) leaks.push({ where, label: 'a PEM private key block' });
    // Also JSON-escaped (\n, \/) and base64 line breaks removed.
    const flat = text.replace(/\\n|\\r|\n|\r/g, '').replace(/\\\//g, '/');
    for (const [needle, label] of this.#needles) {
      if (text.includes(needle) || flat.includes(needle)) leaks.push({ where, label });
    }
    return leaks;
  }
}

/** Every key of the Redis database with its value as text, whatever its type. */
export async function redisValues(redis: Redis): Promise<Array<{ key: string; text: string }>> {
  const out: Array<{ key: string; text: string }> = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      let value: unknown;
      switch (type) {
        case 'string':
          value = await redis.getBuffer(key).then((b) => b?.toString('utf8'));
          break;
        case 'hash':
          value = await redis.hgetall(key);
          break;
        case 'list':
          value = await redis.lrange(key, 0, -1);
          break;
        case 'set':
          value = await redis.smembers(key);
          break;
        case 'zset':
          value = await redis.zrange(key, 0, -1, 'WITHSCORES');
          break;
        case 'stream':
          value = await redis.xrange(key, '-', '+');
          break;
        case 'none':
          continue; // expired between SCAN and TYPE
        default:
          throw new Error(`Redis key ${key} has type ${type}, which the scan does not read`);
      }
      out.push({ key: `${type} ${key}`, text: `${key} ${JSON.stringify(value)}` });
    }
  } while (cursor !== '0');
  return out;
}

/** Every Secret the lab holds now and every version of one it holds from now on. */
export function watchLabSecrets(lab: Lab): { secrets: KubeObject[]; stop: () => void } {
  const secrets: KubeObject[] = [];
  const store = lab.registry.store;
  const type = RESOURCE_TYPES.find((t) => t.plural === 'secrets' && t.group === '');
  if (!type) throw new Error('the lab has no secrets resource');
  secrets.push(...store.list(type, undefined));
  const stop =
    store.subscribe(undefined, (event) => {
      if (event.object.kind === 'Secret') secrets.push(event.object);
    }) ?? (() => undefined);
  return { secrets, stop };
}

/** Adds every value of the Secrets' data (decoded; PEM private keys line by line) to `scanner`. */
export function addSecretData(scanner: SecretScanner, secrets: readonly KubeObject[]): void {
  for (const secret of secrets) {
    const name = `Secret ${secret.metadata?.namespace ?? ''}/${secret.metadata?.name ?? ''}`;
    const record = secret as unknown as {
      data?: Record<string, string>;
      stringData?: Record<string, string>;
    };
    const values = [
      ...Object.entries(record.data ?? {}).map(
        ([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')] as const,
      ),
      ...Object.entries(record.stringData ?? {}),
    ];
    for (const [key, value] of values) {
      if (PEM_PRIVATE_KEY.test(value)) scanner.addPem(`${name} ${key}`, value);
      else if (/PRIVATE|token|password|secret/i.test(key) && value.length >= MIN_SECRET_LENGTH)
        scanner.add({ label: `${name} ${key}`, value });
    }
  }
}
