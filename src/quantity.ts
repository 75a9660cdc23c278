/**
 * Kubernetes resource quantities, parsed as k8s.io/apimachinery/pkg/api/resource.ParseQuantity
 * does:
 *
 *   <quantity>        ::= <signedNumber><suffix>
 *   <signedNumber>    ::= <number> | <sign><number>        <sign> ::= "+" | "-"
 *   <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
 *   <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
 *   <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
 *   <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
 *   <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>
 *
 * Values are kept exact (a bigint of significant digits times a power of ten) so that canonical
 * rendering, used in validation messages (`must be less than or equal to memory limit of 32Mi`),
 * is the real server's; comparisons go through a JS number, correctly rounded.
 */

type Format = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

interface Quantity {
  negative: boolean;
  /** |value| = digits × 10^scale (binary suffixes already multiplied out). */
  digits: bigint;
  scale: number;
  format: Format;
  /** The input, when ParseQuantity keeps it because it is already canonical. */
  cached?: string;
}

const REGEX_TEXT = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
/** The error strings ParseQuantity returns; the server reports them when decoding fails. */
export const QUANTITY_ERRORS = {
  format: `quantities must match the regular expression '${REGEX_TEXT}'`,
  numeric: 'unable to parse numeric part of quantity',
  suffix: "unable to parse quantity's suffix",
} as const;

const DECIMAL_SUFFIXES: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const MAX_INT64 = 2n ** 63n - 1n;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** parseQuantityString: splits sign, integer digits, fraction digits and suffix. */
function scan(
  str: string,
): { positive: boolean; num: string; denom: string; suffix: string } | undefined {
  let pos = 0;
  let positive = true;
  if (str[0] === '-' || str[0] === '+') {
    positive = str[0] === '+';
    pos++;
  }
  while (str[pos] === '0') pos++;
  // ParseQuantity accepts a bare sign or only zeros as zero.
  if (pos >= str.length) return { positive, num: '0', denom: '', suffix: '' };
  let start = pos;
  while (isDigit(str[pos])) pos++;
  const num = str.slice(start, pos) || '0';
  let denom = '';
  if (str[pos] === '.') {
    start = ++pos;
    while (isDigit(str[pos])) pos++;
    denom = str.slice(start, pos);
  }
  const suffixStart = pos;
  while (pos < str.length && 'eEinumkKMGTP'.includes(str[pos] ?? '')) pos++;
  if (str[pos] === '-' || str[pos] === '+') pos++;
  while (isDigit(str[pos])) pos++;
  if (pos < str.length) return undefined;
  return { positive, num, denom, suffix: str.slice(suffixStart) };
}

function interpretSuffix(
  suffix: string,
): { base: 2 | 10; exponent: number; format: Format } | undefined {
  const dec = DECIMAL_SUFFIXES[suffix];
  if (dec !== undefined) return { base: 10, exponent: dec, format: 'DecimalSI' };
  const bin = BINARY_SUFFIXES[suffix];
  if (bin !== undefined) return { base: 2, exponent: bin, format: 'BinarySI' };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E')) {
    // strconv.ParseInt accepts one leading sign and at least one digit.
    if (!/^[+-]?[0-9]+$/.test(suffix.slice(1))) return undefined;
    return { base: 10, exponent: Number(suffix.slice(1)), format: 'DecimalExponent' };
  }
  return undefined;
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

/** ParseQuantity: the exact value, or the error string the real server returns. */
function parse(str: string): Quantity | string {
  if (str.length === 0) return QUANTITY_ERRORS.format;
  if (str === '0')
    return { negative: false, digits: 0n, scale: 0, format: 'DecimalSI', cached: str };
  const parts = scan(str);
  if (!parts) return QUANTITY_ERRORS.format;
  const { positive, num, denom, suffix } = parts;
  const suf = interpretSuffix(suffix);
  if (!suf) return QUANTITY_ERRORS.suffix;
  let format = suf.format;
  let digits = BigInt(num + denom);
  let scale = -denom.length;
  let cached: string | undefined;

  if (suf.base === 10) {
    scale += suf.exponent;
    // The int64 fast path keeps the input text when it is already canonical.
    const shifted = num + denom;
    if (
      shifted.length <= 18 &&
      scale >= -9 &&
      scale % 3 === 0 &&
      !shifted.endsWith('000') &&
      shifted[0] !== '0'
    ) {
      cached = str;
    }
  } else {
    digits *= 2n ** BigInt(suf.exponent);
    const precision = 15 - num.length - Math.trunc((suf.exponent * 3) / 10) - 1;
    if (denom.length === 0 && precision >= 0 && (BigInt(num) & 7n) !== 0n) cached = str;
  }

  // Finer than nano rounds away from zero, so asking for any amount gets some.
  if (scale < -9 && digits !== 0n) {
    const shift = -9 - scale;
    // A divisor longer than the digits always rounds up to one; skip building it (`1e-999999`).
    digits = shift > digits.toString().length ? 1n : ceilDiv(digits, 10n ** BigInt(shift));
    scale = -9;
  }
  if (format === 'BinarySI') {
    const exact = scale >= 0 ? digits * 10n ** BigInt(scale) : undefined;
    if (exact !== undefined && exact > MAX_INT64) {
      digits = MAX_INT64;
      scale = 0;
    } else if (exact === undefined && digits < 10n ** BigInt(-scale) && digits !== 0n) {
      format = 'DecimalSI'; // a fraction below one cannot be written in binary units
    }
  }
  return { negative: !positive && digits !== 0n, digits, scale, format, cached };
}

function toNumber(q: Quantity): number {
  const magnitude = q.digits === 0n ? 0 : Number(`${q.digits}e${q.scale}`);
  return q.negative ? -magnitude : magnitude;
}

function stripTens(digits: bigint, scale: number): [bigint, number] {
  if (digits === 0n) return [0n, 0];
  while (digits % 10n === 0n) {
    digits /= 10n;
    scale++;
  }
  return [digits, scale];
}

const DECIMAL_SUFFIX_BY_EXPONENT = new Map(
  Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s] as const),
);
const BINARY_SUFFIX_BY_POWER = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/** Quantity.String(): the canonical form, e.g. `1.5Gi` → `1536Mi`, `0.5` → `500m`, `1000` → `1k`. */
function canonical(q: Quantity): string {
  if (q.cached !== undefined) return q.cached;
  if (q.digits === 0n) return '0';
  const sign = q.negative ? '-' : '';
  const [intDigits, intScale] = stripTens(q.digits, q.scale);
  if (q.format === 'BinarySI' && intScale >= 0) {
    let value = intDigits * 10n ** BigInt(intScale);
    if (value >= 1024n) {
      let power = 0;
      while (value % 1024n === 0n && power < 6) {
        value /= 1024n;
        power++;
      }
      return `${sign}${value}${BINARY_SUFFIX_BY_POWER[power]}`;
    }
  }
  let [digits, exponent] = [intDigits, intScale];
  const remainder = ((exponent % 3) + 3) % 3;
  digits *= 10n ** BigInt(remainder);
  exponent -= remainder;
  const decimal = DECIMAL_SUFFIX_BY_EXPONENT.get(exponent);
  const suffix =
    q.format !== 'DecimalExponent' && decimal !== undefined
      ? decimal
      : exponent === 0
        ? ''
        : `e${exponent}`;
  return `${sign}${digits}${suffix}`;
}

/**
 * The value of a quantity (bytes, cores, …) as a number, or undefined when the text is not a
 * quantity. Accepts exactly what the real server accepts, e.g. `32Mi`, `1Gi`, `500m`, `0.5`,
 * `1e3`, `128974848`.
 */
export function parseQuantity(text: string): number | undefined {
  const q = parse(text);
  return typeof q === 'string' ? undefined : toNumber(q);
}

/** The canonical form the server stores and prints (`Quantity.String()`), or undefined. */
export function formatQuantity(text: string): string | undefined {
  const q = parse(text);
  return typeof q === 'string' ? undefined : canonical(q);
}

/** Why the text is not a quantity, worded as the real server's decode error; undefined if it is. */
export function quantityError(text: string): string | undefined {
  const q = parse(text);
  return typeof q === 'string' ? q : undefined;
}

/**
 * A quantity as it appears in JSON: a string, or a bare number, which Quantity.UnmarshalJSON also
 * accepts (and trims, as it does strings).
 */
export function quantityText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}
