/**
 * JSON helpers that make the patch code behave like its Go original: decoding with the
 * error messages of Go's `encoding/json` (which kube-apiserver puts in its answers), `%v`
 * formatting of decoded values (which strategic-merge errors embed), and copying/setting
 * that never touches an object's prototype.
 */

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function hasOwn(object: JsonObject, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

/** `object[key] = value`, also for a key such as `__proto__`, which must stay a plain property. */
export function setOwn(object: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(object, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  } else {
    object[key] = value;
  }
}

/** A deep copy of a JSON value. */
export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => cloneJson(item)) as T;
  if (isObject(value)) {
    const copy: JsonObject = {};
    for (const [key, item] of Object.entries(value)) setOwn(copy, key, cloneJson(item));
    return copy as T;
  }
  return value;
}

export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((key) => hasOwn(b, key) && jsonEqual(a[key], b[key]))
    );
  }
  return false;
}

export type Decoded = { ok: true; value: unknown } | { ok: false; message: string };

/** Parses JSON; on failure reports the error text Go's `encoding/json` would. */
export function decodeJson(text: string): Decoded {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, message: goSyntaxError(text) ?? 'invalid JSON' };
  }
}

/** The name `encoding/json` uses for a JSON value's kind in `UnmarshalTypeError`. */
export function jsonKindName(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (isObject(value)) return 'object';
  if (typeof value === 'boolean') return 'bool';
  return typeof value; // 'string' | 'number'
}

/** `reflect.TypeOf(v).String()` for a value decoded into `interface{}`, as Go errors print it. */
export function goTypeName(value: unknown): string {
  if (value === null || value === undefined) return '%!s(<nil>)';
  if (Array.isArray(value)) return '[]interface {}';
  if (isObject(value)) return 'map[string]interface {}';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'float64';
  return typeof value; // 'string' | 'bool'
}

/** `fmt.Sprintf("%v", v)` for a value decoded into `interface{}`. */
export function goFormat(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goFormat).join(' ')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `map[${keys.map((key) => `${key}:${goFormat(value[key])}`).join(' ')}]`;
  }
  if (typeof value === 'number') return goFloat(value);
  return String(value);
}

/** Go's `%v` of a float64 uses exponents below 1e-4 where JavaScript waits until 1e-7. */
function goFloat(n: number): string {
  if (n !== 0 && Number.isFinite(n) && Math.abs(n) < 1e-4) {
    return n.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return String(n);
}

// ---------------------------------------------------------------------------------------
// Go's JSON scanner (encoding/json/scanner.go), reduced to finding the first syntax error.

class SyntaxFailure {
  constructor(readonly message: string) {}
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** `quoteChar` from scanner.go: how a byte is shown in "invalid character ..." messages. */
function quoteChar(c: number): string {
  if (c === 0x27) return `'\\''`;
  if (c === 0x22) return `'"'`;
  const named: Record<number, string> = {
    0x07: '\\a',
    0x08: '\\b',
    0x0c: '\\f',
    0x0a: '\\n',
    0x0d: '\\r',
    0x09: '\\t',
    0x0b: '\\v',
    0x5c: '\\\\',
  };
  const hex = c.toString(16).padStart(2, '0');
  if (named[c] !== undefined) return `'${named[c]}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${hex}'`;
  if ((c >= 0x80 && c <= 0x9f) || c === 0xad) return `'\\u00${hex}'`;
  return `'${String.fromCharCode(c)}'`;
}

const LITERALS: Record<number, string> = { 0x74: 'true', 0x66: 'false', 0x6e: 'null' };

/** The message of the first syntax error Go finds in `text`, or undefined when it is valid. */
export function goSyntaxError(text: string): string | undefined {
  const bytes = Buffer.from(text, 'utf8');
  let i = 0;
  const fail = (context: string): never => {
    throw new SyntaxFailure(`invalid character ${quoteChar(bytes[i] ?? 0)} ${context}`);
  };
  const skipSpace = (): void => {
    while (i < bytes.length && isSpace(bytes[i] ?? 0)) i++;
  };
  const need = (): number => {
    if (i >= bytes.length) throw new SyntaxFailure('unexpected end of JSON input');
    return bytes[i] ?? 0;
  };

  const value = (): void => {
    skipSpace();
    const c = need();
    if (c === 0x7b) return object();
    if (c === 0x5b) return array();
    if (c === 0x22) return string();
    if (c === 0x2d || isDigit(c)) return number();
    const literal = LITERALS[c];
    if (literal === undefined) return fail('looking for beginning of value');
    i++;
    for (const expected of literal.slice(1)) {
      if (need() !== expected.charCodeAt(0))
        fail(`in literal ${literal} (expecting '${expected}')`);
      i++;
    }
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      const c = need();
      i++;
      if (c === 0x22) return;
      if (c === 0x5c) {
        const e = need();
        if (e === 0x75) {
          i++;
          for (let k = 0; k < 4; k++) {
            if (!isHex(need())) fail('in \\u hexadecimal character escape');
            i++;
          }
        } else if ('bfnrt\\/"'.includes(String.fromCharCode(e))) {
          i++;
        } else {
          fail('in string escape code');
        }
      } else if (c < 0x20) {
        i--;
        fail('in string literal');
      }
    }
  };
  const digits = (): void => {
    while (i < bytes.length && isDigit(bytes[i] ?? 0)) i++;
  };
  const number = (): void => {
    if (bytes[i] === 0x2d) {
      i++;
      if (!isDigit(need())) fail('in numeric literal');
    }
    if (bytes[i] === 0x30) i++;
    else digits();
    if (i < bytes.length && bytes[i] === 0x2e) {
      i++;
      if (!isDigit(need())) fail('after decimal point in numeric literal');
      digits();
    }
    if (i < bytes.length && (bytes[i] === 0x65 || bytes[i] === 0x45)) {
      i++;
      if (need() === 0x2b || bytes[i] === 0x2d) i++;
      if (!isDigit(need())) fail('in exponent of numeric literal');
      digits();
    }
  };
  const object = (): void => {
    i++;
    skipSpace();
    if (need() === 0x7d) {
      i++;
      return;
    }
    for (;;) {
      skipSpace();
      if (need() !== 0x22) fail('looking for beginning of object key string');
      string();
      skipSpace();
      if (need() !== 0x3a) fail('after object key');
      i++;
      value();
      skipSpace();
      const c = need();
      if (c === 0x7d) {
        i++;
        return;
      }
      if (c !== 0x2c) fail('after object key:value pair');
      i++;
    }
  };
  const array = (): void => {
    i++;
    skipSpace();
    if (need() === 0x5d) {
      i++;
      return;
    }
    for (;;) {
      value();
      skipSpace();
      const c = need();
      if (c === 0x5d) {
        i++;
        return;
      }
      if (c !== 0x2c) fail('after array element');
      i++;
    }
  };

  try {
    value();
    skipSpace();
    if (i < bytes.length) fail('after top-level value');
    return undefined;
  } catch (err) {
    if (err instanceof SyntaxFailure) return err.message;
    throw err;
  }
}
