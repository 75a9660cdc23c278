/**
 * Alertmanager's alert fingerprint, so that alerts polled from Prometheus (which carry no
 * fingerprint) merge with the same alert seen through Alertmanager.
 *
 * This is Prometheus `model.LabelSet.Fingerprint()`: FNV-1a 64 over the UTF-8 bytes of each label
 * name and value, names sorted byte-wise (Go string order), each followed by the separator byte
 * 0xff, which cannot occur in UTF-8. The empty set hashes to the FNV offset basis. Rendered as Go's
 * `%016x`.
 */
const OFFSET_BASIS = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;
const SEPARATOR = 0xff;
const MASK = 0xffffffffffffffffn;

function hashBytes(hash: bigint, bytes: Uint8Array): bigint {
  let h = hash;
  for (const byte of bytes) h = ((h ^ BigInt(byte)) * PRIME) & MASK;
  return h;
}

const encoder = new TextEncoder();
const SEPARATOR_BYTES = Uint8Array.of(SEPARATOR);

export function alertFingerprint(labels: Readonly<Record<string, string>>): string {
  const names = Object.keys(labels)
    .map((name) => ({ name, bytes: encoder.encode(name) }))
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  let hash = OFFSET_BASIS;
  for (const { name, bytes } of names) {
    hash = hashBytes(hash, bytes);
    hash = hashBytes(hash, SEPARATOR_BYTES);
    hash = hashBytes(hash, encoder.encode(labels[name] ?? ''));
    hash = hashBytes(hash, SEPARATOR_BYTES);
  }
  return hash.toString(16).padStart(16, '0');
}
