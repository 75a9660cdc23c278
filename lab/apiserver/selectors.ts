/**
 * Label selectors and field selectors, parsed, validated and matched the way kube-apiserver
 * does it (k8s.io/apimachinery `pkg/labels`, `pkg/fields`, `metav1.LabelSelectorAsSelector`,
 * and the per-kind field label conversions of `pkg/apis/core/v1`).
 *
 * Error messages follow the Go originals, including their quirks (`<nil>:` as the field path
 * of an invalid key in the string form, `values[0][key]` for an invalid value); the real
 * server answers every one of them as 400 BadRequest.
 */
import { Buffer } from 'node:buffer';
import type { KubeObject } from './types.js';

/** A malformed or unsupported selector. The real API server answers it as 400 BadRequest. */
export class SelectorError extends Error {
  readonly code = 400;
  readonly reason = 'BadRequest';

  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

// ---------------------------------------------------------------------------------------------
// Label selectors: types
// ---------------------------------------------------------------------------------------------

/** `selection.Operator` values, spelled as in Go. */
export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** Empty for `exists` / `!`; exactly one for `=`, `==`, `!=`, `gt`, `lt`. */
  readonly values: readonly string[];
}

/**
 * A parsed label selector: the AND of its requirements, sorted by key. `matchesNothing` is
 * Go's `labels.Nothing()` (what a nil `metav1.LabelSelector` converts to); a selector with no
 * requirements and `matchesNothing: false` is `labels.Everything()`.
 */
export interface LabelSelector {
  readonly matchesNothing: boolean;
  readonly requirements: readonly LabelRequirement[];
}

/** The `metav1.LabelSelector` API type (Deployment/NetworkPolicy/PDB/... `selector`). */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: Array<{
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[] | null;
  }> | null;
}

const EVERYTHING: LabelSelector = Object.freeze({
  matchesNothing: false,
  requirements: Object.freeze([]) as readonly LabelRequirement[],
});
const NOTHING: LabelSelector = Object.freeze({
  matchesNothing: true,
  requirements: Object.freeze([]) as readonly LabelRequirement[],
});

// ---------------------------------------------------------------------------------------------
// Go-compatible message helpers (k8s.io/apimachinery/pkg/util/validation, .../field, errors)
// ---------------------------------------------------------------------------------------------

/** Go's `%q` for a string (close enough for everything a selector can hold). */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp >= 0x80 && cp < 0xa0) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

/** Go's `json.Marshal` output for a string slice (nil → `null`), with its HTML escaping. */
function goJSON(values: readonly string[] | null): string {
  if (values === null) return 'null';
  return JSON.stringify(values)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** `field.Invalid(path, value, detail).Error()`. */
function invalidValue(path: string, value: string | readonly string[] | null, detail: string) {
  const rendered = typeof value === 'string' ? goQuote(value) : goJSON(value);
  return `${path}: Invalid value: ${rendered}: ${detail}`;
}

/** `utilerrors.NewAggregate(errs).Error()`: one message as is, several deduplicated in `[...]`. */
function aggregate(messages: readonly string[]): string | undefined {
  const unique = [...new Set(messages)];
  if (unique.length === 0) return undefined;
  if (unique.length === 1) return unique[0];
  return `[${unique.join(', ')}]`;
}

const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}

function regexError(msg: string, re: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${re}')`;
  let out = msg + ' (e.g. ';
  examples.forEach((example, i) => {
    if (i > 0) out += ' or ';
    out += `'${example}', `;
  });
  return out + `regex used for validation is '${re}')`;
}

const EMPTY_ERROR = 'must be non-empty';

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_MAX = 253;

function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > DNS1123_SUBDOMAIN_MAX) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX));
  if (!DNS1123_SUBDOMAIN_RE.test(value)) {
    errs.push(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com'));
  }
  return errs;
}

const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED_NAME_RE = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const QUALIFIED_NAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_MAX = 63;

/** `validation.IsQualifiedName`: the rules for a label key. */
function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0] ?? '';
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) errs.push(`prefix part ${EMPTY_ERROR}`);
    else errs.push(...isDNS1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [
      'a qualified name ' +
        regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc') +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push(`name part ${EMPTY_ERROR}`);
  else if (byteLength(name) > QUALIFIED_NAME_MAX) {
    errs.push(`name part ${maxLenError(QUALIFIED_NAME_MAX)}`);
  }
  if (!QUALIFIED_NAME_RE.test(name)) {
    errs.push(
      'name part ' +
        regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc'),
    );
  }
  return errs;
}

const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const LABEL_VALUE_RE = new RegExp(`^${LABEL_VALUE_FMT}$`);
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_MAX = 63;

/** `validation.IsValidLabelValue`. */
function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > LABEL_VALUE_MAX) errs.push(maxLenError(LABEL_VALUE_MAX));
  if (!LABEL_VALUE_RE.test(value)) {
    errs.push(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'));
  }
  return errs;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** `strconv.ParseInt(s, 10, 64)`; undefined where Go returns an error. */
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedByKey(requirements: LabelRequirement[]): LabelRequirement[] {
  // Array.prototype.sort is stable; Go's sort.Sort is an insertion sort for short inputs.
  return requirements.sort((a, b) => compareStrings(a.key, b.key));
}

/**
 * `labels.NewRequirement` without a field path: validates key, operator arity, Gt/Lt integers
 * and every value, reporting all problems at once as Go's aggregate does.
 */
function newRequirement(
  key: string,
  operator: LabelOperator,
  values: readonly string[],
): LabelRequirement {
  const errs: string[] = [];
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length > 0) errs.push(invalidValue('key', key, keyErrs.join('; ')));
  // Go passes a nil slice when a metav1 selector has no values; json renders it as null.
  const badValues = values.length === 0 ? null : values;
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) {
        errs.push(
          invalidValue(
            'values',
            badValues,
            "for 'in', 'notin' operators, values set can't be empty",
          ),
        );
      }
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) {
        errs.push(
          invalidValue('values', badValues, 'exact-match compatibility requires one single value'),
        );
      }
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) {
        errs.push(
          invalidValue(
            'values',
            badValues,
            'values set must be empty for exists and does not exist',
          ),
        );
      }
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) {
        errs.push(
          invalidValue(
            'values',
            badValues,
            "for 'Gt', 'Lt' operators, exactly one value is required",
          ),
        );
      }
      values.forEach((v, i) => {
        if (parseInt64(v) === undefined) {
          errs.push(
            invalidValue(
              `values[${i}]`,
              v,
              "for 'Gt', 'Lt' operators, the value must be an integer",
            ),
          );
        }
      });
      break;
  }
  values.forEach((v, i) => {
    const valueErrs = isValidLabelValue(v);
    if (valueErrs.length > 0) {
      errs.push(invalidValue(`values[${i}][${key}]`, v, valueErrs.join('; ')));
    }
  });
  const message = aggregate(errs);
  if (message !== undefined) throw new SelectorError(message);
  return Object.freeze({ key, operator, values: Object.freeze([...values]) });
}

// ---------------------------------------------------------------------------------------------
// Label selectors: the string syntax (labels.Parse)
// ---------------------------------------------------------------------------------------------

type Token =
  | 'ERROR'
  | 'EOS'
  | 'CLOSE_PAR'
  | 'COMMA'
  | 'DOES_NOT_EXIST'
  | 'DOUBLE_EQUALS'
  | 'EQUALS'
  | 'GREATER_THAN'
  | 'IDENTIFIER'
  | 'IN'
  | 'LESS_THAN'
  | 'NOT_EQUALS'
  | 'NOT_IN'
  | 'OPEN_PAR';

const STRING_TO_TOKEN: ReadonlyMap<string, Token> = new Map<string, Token>([
  [')', 'CLOSE_PAR'],
  [',', 'COMMA'],
  ['!', 'DOES_NOT_EXIST'],
  ['==', 'DOUBLE_EQUALS'],
  ['=', 'EQUALS'],
  ['>', 'GREATER_THAN'],
  ['in', 'IN'],
  ['<', 'LESS_THAN'],
  ['!=', 'NOT_EQUALS'],
  ['notin', 'NOT_IN'],
  ['(', 'OPEN_PAR'],
]);

interface ScannedItem {
  readonly tok: Token;
  readonly literal: string;
}

const isWhitespace = (ch: string): boolean =>
  ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';

const isSpecialSymbol = (ch: string): boolean =>
  ch === '=' || ch === '!' || ch === '(' || ch === ')' || ch === ',' || ch === '>' || ch === '<';

/** The Go lexer, including its use of NUL as "end of input". */
function scan(s: string): ScannedItem[] {
  let pos = 0;
  const read = (): string => {
    if (pos < s.length) return s[pos++] ?? '\0';
    return '\0';
  };
  const unread = (): void => {
    pos--;
  };

  const scanIDOrKeyword = (): ScannedItem => {
    let buffer = '';
    for (;;) {
      const ch = read();
      if (ch === '\0') break;
      if (isSpecialSymbol(ch) || isWhitespace(ch)) {
        unread();
        break;
      }
      buffer += ch;
    }
    const tok = STRING_TO_TOKEN.get(buffer);
    return tok !== undefined ? { tok, literal: buffer } : { tok: 'IDENTIFIER', literal: buffer };
  };

  const scanSpecialSymbol = (): ScannedItem => {
    let last: ScannedItem | undefined;
    let buffer = '';
    for (;;) {
      const ch = read();
      if (ch === '\0') break;
      if (!isSpecialSymbol(ch)) {
        unread();
        break;
      }
      buffer += ch;
      const tok = STRING_TO_TOKEN.get(buffer);
      if (tok !== undefined) {
        last = { tok, literal: buffer };
      } else if (last !== undefined) {
        unread();
        break;
      }
    }
    return last ?? { tok: 'ERROR', literal: `error expected: keyword found '${buffer}'` };
  };

  const lex = (): ScannedItem => {
    let ch = read();
    while (isWhitespace(ch)) ch = read();
    if (ch === '\0') return { tok: 'EOS', literal: '' };
    unread();
    return isSpecialSymbol(ch) ? scanSpecialSymbol() : scanIDOrKeyword();
  };

  const items: ScannedItem[] = [];
  for (;;) {
    const item = lex();
    items.push(item);
    if (item.tok === 'EOS') return items;
  }
}

/** A failure inside one requirement; `parse` prefixes it with `unable to parse requirement: `. */
class RequirementFailure extends Error {}

type ParserContext = 'KeyAndOperator' | 'Values';

class Parser {
  private position = 0;

  constructor(private readonly items: readonly ScannedItem[]) {}

  private at(index: number, context: ParserContext): ScannedItem {
    // scan() always ends with EOS and the grammar never reads past it.
    const item = this.items[Math.min(index, this.items.length - 1)] ?? { tok: 'EOS', literal: '' };
    if (context === 'Values' && (item.tok === 'IN' || item.tok === 'NOT_IN')) {
      return { tok: 'IDENTIFIER', literal: item.literal };
    }
    return item;
  }

  private lookahead(context: ParserContext): ScannedItem {
    return this.at(this.position, context);
  }

  private consume(context: ParserContext): ScannedItem {
    this.position++;
    return this.at(this.position - 1, context);
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    for (;;) {
      const { tok, literal } = this.lookahead('Values');
      switch (tok) {
        case 'IDENTIFIER':
        case 'DOES_NOT_EXIST': {
          let requirement: LabelRequirement;
          try {
            requirement = this.parseRequirement();
          } catch (err) {
            if (err instanceof RequirementFailure || err instanceof SelectorError) {
              throw new SelectorError(`unable to parse requirement: ${err.message}`);
            }
            throw err;
          }
          requirements.push(requirement);
          const next = this.consume('Values');
          switch (next.tok) {
            case 'EOS':
              return requirements;
            case 'COMMA': {
              const after = this.lookahead('Values');
              if (after.tok !== 'IDENTIFIER' && after.tok !== 'DOES_NOT_EXIST') {
                throw new SelectorError(`found '${after.literal}', expected: identifier after ','`);
              }
              break;
            }
            default:
              throw new SelectorError(`found '${next.literal}', expected: ',' or 'end of string'`);
          }
          break;
        }
        case 'EOS':
          return requirements;
        default:
          throw new SelectorError(
            `found '${literal}', expected: !, identifier, or 'end of string'`,
          );
      }
    }
  }

  private parseRequirement(): LabelRequirement {
    const { key, operator: inferred } = this.parseKeyAndInferOperator();
    if (inferred === 'exists' || inferred === '!') return newRequirement(key, inferred, []);
    const operator = this.parseOperator();
    const values =
      operator === 'in' || operator === 'notin' ? this.parseValues() : this.parseExactValue();
    return newRequirement(key, operator, [...values].sort(compareStrings));
  }

  private parseKeyAndInferOperator(): { key: string; operator: LabelOperator | undefined } {
    let operator: LabelOperator | undefined;
    let item = this.consume('Values');
    if (item.tok === 'DOES_NOT_EXIST') {
      operator = '!';
      item = this.consume('Values');
    }
    if (item.tok !== 'IDENTIFIER') {
      throw new RequirementFailure(`found '${item.literal}', expected: identifier`);
    }
    const keyErrs = isQualifiedName(item.literal);
    if (keyErrs.length > 0) {
      throw new RequirementFailure(invalidValue('<nil>', item.literal, keyErrs.join('; ')));
    }
    const next = this.lookahead('Values').tok;
    if ((next === 'EOS' || next === 'COMMA') && operator !== '!') operator = 'exists';
    return { key: item.literal, operator };
  }

  private parseOperator(): LabelOperator {
    const { tok, literal } = this.consume('KeyAndOperator');
    switch (tok) {
      case 'IN':
        return 'in';
      case 'EQUALS':
        return '=';
      case 'DOUBLE_EQUALS':
        return '==';
      case 'GREATER_THAN':
        return 'gt';
      case 'LESS_THAN':
        return 'lt';
      case 'NOT_IN':
        return 'notin';
      case 'NOT_EQUALS':
        return '!=';
      default:
        throw new RequirementFailure(`found '${literal}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  private parseValues(): Set<string> {
    const open = this.consume('Values');
    if (open.tok !== 'OPEN_PAR') {
      throw new RequirementFailure(`found '${open.literal}' expected: '('`);
    }
    const { tok, literal } = this.lookahead('Values');
    switch (tok) {
      case 'IDENTIFIER':
      case 'COMMA': {
        const values = this.parseIdentifiersList();
        if (this.consume('Values').tok !== 'CLOSE_PAR') {
          throw new RequirementFailure(`found '${literal}', expected: ')'`);
        }
        return values;
      }
      case 'CLOSE_PAR':
        this.consume('Values');
        return new Set(['']);
      default:
        throw new RequirementFailure(`found '${literal}', expected: ',', ')' or identifier`);
    }
  }

  private parseIdentifiersList(): Set<string> {
    const values = new Set<string>();
    for (;;) {
      const { tok, literal } = this.consume('Values');
      switch (tok) {
        case 'IDENTIFIER': {
          values.add(literal);
          const next = this.lookahead('Values');
          if (next.tok === 'COMMA') continue;
          if (next.tok === 'CLOSE_PAR') return values;
          throw new RequirementFailure(`found '${next.literal}', expected: ',' or ')'`);
        }
        case 'COMMA': {
          if (values.size === 0) values.add(''); // "(,"
          const next = this.lookahead('Values').tok;
          if (next === 'CLOSE_PAR') {
            values.add(''); // ",)"
            return values;
          }
          if (next === 'COMMA') {
            this.consume('Values');
            values.add(''); // ",,"
          }
          break;
        }
        default:
          throw new RequirementFailure(`found '${literal}', expected: ',', or identifier`);
      }
    }
  }

  private parseExactValue(): Set<string> {
    const next = this.lookahead('Values').tok;
    if (next === 'EOS' || next === 'COMMA') return new Set(['']);
    const { tok, literal } = this.consume('Values');
    if (tok === 'IDENTIFIER') return new Set([literal]);
    throw new RequirementFailure(`found '${literal}', expected: identifier`);
  }
}

/**
 * `labels.Parse`: the `labelSelector` query parameter syntax. The empty string selects
 * everything. Throws SelectorError with the real parser's message.
 */
export function parseLabelSelector(text: string): LabelSelector {
  const requirements = new Parser(scan(text)).parse();
  return Object.freeze({
    matchesNothing: false,
    requirements: Object.freeze(sortedByKey(requirements)),
  });
}

// ---------------------------------------------------------------------------------------------
// Label selectors: metav1.LabelSelector and map forms
// ---------------------------------------------------------------------------------------------

const METAV1_OPERATORS: Readonly<Record<string, LabelOperator>> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

/**
 * `metav1.LabelSelectorAsSelector`: null/undefined selects nothing, `{}` (no labels, no
 * expressions) selects everything. Invalid keys/values, In/NotIn without values, Exists or
 * DoesNotExist with values, and unknown operators throw SelectorError.
 */
export function labelSelectorFromObject(
  sel: LabelSelectorObject | undefined | null,
): LabelSelector {
  if (sel === null || sel === undefined) return NOTHING;
  const matchLabels = sel.matchLabels ?? {};
  const matchExpressions = sel.matchExpressions ?? [];
  const labelKeys = Object.keys(matchLabels).sort(compareStrings);
  if (labelKeys.length + matchExpressions.length === 0) return EVERYTHING;
  const requirements: LabelRequirement[] = [];
  for (const key of labelKeys) {
    requirements.push(newRequirement(key, '=', [matchLabels[key] ?? '']));
  }
  for (const expr of matchExpressions) {
    const operator = Object.hasOwn(METAV1_OPERATORS, expr.operator)
      ? METAV1_OPERATORS[expr.operator]
      : undefined;
    if (operator === undefined) {
      throw new SelectorError(
        `${goQuote(String(expr.operator))} is not a valid label selector operator`,
      );
    }
    requirements.push(newRequirement(expr.key, operator, expr.values ?? []));
  }
  return Object.freeze({
    matchesNothing: false,
    requirements: Object.freeze(sortedByKey(requirements)),
  });
}

/**
 * `labels.SelectorFromValidatedSet`: the map form (a Service's or ReplicationController's
 * `spec.selector`). Nil or empty selects everything; nothing is validated.
 */
export function labelSelectorFromSet(
  set: Record<string, string> | undefined | null,
): LabelSelector {
  if (set === null || set === undefined) return EVERYTHING;
  const requirements = Object.keys(set)
    .sort(compareStrings)
    .map((key): LabelRequirement =>
      Object.freeze({ key, operator: '=', values: Object.freeze([set[key] ?? '']) }),
    );
  return Object.freeze({ matchesNothing: false, requirements: Object.freeze(requirements) });
}

/** `Selector.Empty()`: true when the selector does not restrict anything. */
export function isEverything(selector: LabelSelector): boolean {
  return !selector.matchesNothing && selector.requirements.length === 0;
}

function requirementToString(r: LabelRequirement): string {
  let out = r.operator === '!' ? '!' + r.key : r.key;
  switch (r.operator) {
    case 'exists':
    case '!':
      return out;
    case '=':
    case '==':
    case '!=':
      out += r.operator;
      break;
    case 'in':
      out += ' in ';
      break;
    case 'notin':
      out += ' notin ';
      break;
    case 'gt':
      out += '>';
      break;
    case 'lt':
      out += '<';
      break;
  }
  const values =
    r.values.length === 1 ? (r.values[0] ?? '') : [...r.values].sort(compareStrings).join(',');
  return r.operator === 'in' || r.operator === 'notin' ? `${out}(${values})` : out + values;
}

/**
 * `Selector.String()`: requirements (already sorted by key) joined by commas, multi-value
 * sets sorted, e.g. `app=web,tier in (a,b),!canary`. Nothing and Everything both give `""`.
 */
export function labelSelectorToString(selector: LabelSelector): string {
  if (selector.matchesNothing) return '';
  return selector.requirements.map(requirementToString).join(',');
}

function requirementMatches(r: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(value ?? '');
    case 'notin':
    case '!=':
      // As in Kubernetes: an object without the key matches `!=` and `notin`.
      return !has || !r.values.includes(value ?? '');
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || r.values.length !== 1) return false;
      const actual = parseInt64(value ?? '');
      const wanted = parseInt64(r.values[0] ?? '');
      if (actual === undefined || wanted === undefined) return false;
      return r.operator === 'gt' ? actual > wanted : actual < wanted;
    }
  }
}

/** `Selector.Matches(labels.Set(labels))`. */
export function matches(
  selector: LabelSelector,
  labels: Record<string, string> | undefined | null,
): boolean {
  if (selector.matchesNothing) return false;
  const set = labels ?? {};
  return selector.requirements.every((r) => requirementMatches(r, set));
}

// ---------------------------------------------------------------------------------------------
// Field selectors (fields.ParseSelector) and the per-kind field label conversions
// ---------------------------------------------------------------------------------------------

export interface FieldRequirement {
  readonly field: string;
  /** `==` parses to `=`, as in Go (both become a `hasTerm`). */
  readonly operator: '=' | '!=';
  /** Unescaped value. */
  readonly value: string;
}

/** The AND of its requirements, in Go's order (terms sorted by their raw text). */
export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
}

/** `fields.EscapeValue`: backslash-escape `\`, `,` and `=` for use in a field selector value. */
export function escapeFieldValue(value: string): string {
  return value.replace(/[\\,=]/g, (ch) => '\\' + ch);
}

/** `fields.UnescapeValue`. */
function unescapeFieldValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const ch of s) {
    if (inSlash) {
      if (ch !== '\\' && ch !== ',' && ch !== '=') {
        throw new SelectorError(`invalid field selector: invalid escape sequence: \\${ch}`);
      }
      out += ch;
      inSlash = false;
      continue;
    }
    if (ch === '\\') inSlash = true;
    else if (ch === ',' || ch === '=') {
      // Go formats the rune with %v, i.e. as its code point number.
      throw new SelectorError(
        `invalid field selector: unescaped character in value: ${ch.codePointAt(0) ?? 0}`,
      );
    } else out += ch;
  }
  if (inSlash) throw new SelectorError('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** `splitTerms`: split on commas not preceded by a backslash escape. */
function splitTerms(selector: string): string[] {
  if (selector.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < selector.length; i++) {
    const ch = selector[i];
    if (inSlash) inSlash = false;
    else if (ch === '\\') inSlash = true;
    else if (ch === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

const TERM_OPERATORS = ['!=', '==', '='] as const;

function splitTerm(term: string): { lhs: string; op: string; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    const remaining = term.slice(i);
    for (const op of TERM_OPERATORS) {
      if (remaining.startsWith(op)) {
        return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
      }
    }
  }
  return undefined;
}

/** `fields.ParseSelector` without any field-name check. */
function parseFieldTerms(text: string): FieldRequirement[] {
  const parts = splitTerms(text).sort(compareStrings);
  const requirements: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const split = splitTerm(part);
    if (split === undefined) {
      throw new SelectorError(`invalid selector: '${text}'; can't understand '${part}'`);
    }
    const value = unescapeFieldValue(split.rhs);
    requirements.push(
      Object.freeze({ field: split.lhs, operator: split.op === '!=' ? '!=' : '=', value }),
    );
  }
  return requirements;
}

/**
 * Parse a `fieldSelector` query parameter: comma-separated `field=value`, `field==value`,
 * `field!=value`, with `\,` `\=` `\\` escapes in values. Syntax errors come first (as the
 * server decodes the parameter before converting field labels); then the first field, in
 * sorted term order, missing from `supportedFields` throws `field label not supported: <field>`.
 */
export function parseFieldSelector(
  text: string,
  supportedFields: readonly string[],
): FieldSelector {
  const requirements = parseFieldTerms(text);
  for (const r of requirements) {
    if (!supportedFields.includes(r.field)) {
      throw new SelectorError(`field label not supported: ${r.field}`);
    }
  }
  return Object.freeze({ requirements: Object.freeze(requirements) });
}

const META_FIELDS = ['metadata.name', 'metadata.namespace'] as const;

interface KindFields {
  /** Which apiVersions the kind's conversion is registered for. */
  readonly apiVersions: readonly string[];
  readonly fields: readonly string[];
  readonly unsupported: (field: string) => string;
  /** Old names the conversion rewrites (pods: `spec.host` → `spec.nodeName`). */
  readonly aliases?: Readonly<Record<string, string>>;
}

const coreUnsupported = (field: string): string => `field label not supported: ${field}`;

/** From pkg/apis/core/v1/conversion.go and pkg/apis/batch/v1/conversion.go. */
const KIND_FIELDS: Readonly<Record<string, KindFields>> = {
  Pod: {
    apiVersions: ['v1'],
    fields: [
      ...META_FIELDS,
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.podIPs',
      'status.nominatedNodeName',
    ],
    unsupported: coreUnsupported,
    aliases: { 'spec.host': 'spec.nodeName' },
  },
  Node: {
    apiVersions: ['v1'],
    fields: ['metadata.name', 'spec.unschedulable'],
    unsupported: coreUnsupported,
  },
  ReplicationController: {
    apiVersions: ['v1'],
    fields: [...META_FIELDS, 'status.replicas'],
    unsupported: coreUnsupported,
  },
  Event: {
    apiVersions: ['v1', 'events.k8s.io/v1'],
    fields: [
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
      ...META_FIELDS,
    ],
    unsupported: coreUnsupported,
  },
  Namespace: {
    apiVersions: ['v1'],
    fields: ['status.phase', 'metadata.name'],
    unsupported: coreUnsupported,
  },
  Secret: {
    apiVersions: ['v1'],
    fields: ['type', ...META_FIELDS],
    unsupported: coreUnsupported,
  },
  Service: {
    apiVersions: ['v1'],
    fields: [...META_FIELDS, 'spec.clusterIP', 'spec.type'],
    unsupported: coreUnsupported,
  },
  Job: {
    apiVersions: ['batch/v1'],
    fields: [...META_FIELDS, 'status.successful'],
    unsupported: (field) => `field label ${goQuote(field)} not supported for batchv1.Job`,
  },
};

/** Kinds without a registered conversion (Deployments, ConfigMaps, every CRD...). */
const DEFAULT_KIND_FIELDS: KindFields = {
  apiVersions: [],
  fields: META_FIELDS,
  // runtime.DefaultMetaV1FieldSelectorConversion
  unsupported: (field) =>
    `${goQuote(field)} is not a known field selector: only "metadata.name", "metadata.namespace"`,
};

function kindFields(kind: string, apiVersion?: string): KindFields {
  const entry = Object.hasOwn(KIND_FIELDS, kind) ? KIND_FIELDS[kind] : undefined;
  if (entry === undefined) return DEFAULT_KIND_FIELDS;
  if (apiVersion !== undefined && !entry.apiVersions.includes(apiVersion)) {
    return DEFAULT_KIND_FIELDS;
  }
  return entry;
}

/**
 * The field labels the real server accepts in a field selector for `kind` (optionally
 * narrowed by `apiVersion`, so a CRD that reuses a core kind name gets the defaults):
 * `metadata.name` and `metadata.namespace` for every kind without its own conversion.
 */
export function supportedFieldsFor(kind: string, apiVersion?: string): readonly string[] {
  return kindFields(kind, apiVersion).fields;
}

/**
 * Like `parseFieldSelector`, with the field set, aliases and "not supported" message the real
 * server uses for `kind`: `field label not supported: x` for core kinds with their own list,
 * `"x" is not a known field selector: only "metadata.name", "metadata.namespace"` otherwise.
 */
export function parseFieldSelectorForKind(
  text: string,
  kind: string,
  apiVersion?: string,
): FieldSelector {
  const info = kindFields(kind, apiVersion);
  const aliases = info.aliases ?? {};
  const requirements = parseFieldTerms(text).map((r) => {
    const renamed = Object.hasOwn(aliases, r.field) ? aliases[r.field] : undefined;
    return renamed === undefined ? r : Object.freeze({ ...r, field: renamed });
  });
  for (const r of requirements) {
    if (!info.fields.includes(r.field)) throw new SelectorError(info.unsupported(r.field));
  }
  return Object.freeze({ requirements: Object.freeze(requirements) });
}

/** `fields.Selector.String()`: `field=value` / `field!=value`, values escaped. */
export function fieldSelectorToString(selector: FieldSelector): string {
  return selector.requirements
    .map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`)
    .join(',');
}

/** `fields.Selector.Matches(fields.Set(values))`: a missing field reads as `""`. */
export function matchesFields(
  selector: FieldSelector,
  fieldValues: Record<string, string>,
): boolean {
  return selector.requirements.every((r) => {
    const actual = Object.hasOwn(fieldValues, r.field) ? (fieldValues[r.field] ?? '') : '';
    return r.operator === '=' ? actual === r.value : actual !== r.value;
  });
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function num(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? String(Math.trunc(value)) : '0';
}

/**
 * The selectable fields of a stored object, as the registry's `GetAttrs`/`ToSelectableFields`
 * computes them: `metadata.name` and `metadata.namespace` for everything, plus the kind's own
 * fields (pods, events, secrets, services, namespaces, nodes, replication controllers, jobs).
 */
export function objectFieldValues(obj: KubeObject): Record<string, string> {
  const values: Record<string, string> = {
    'metadata.name': str(obj.metadata.name),
    'metadata.namespace': str(obj.metadata.namespace),
  };
  if (kindFields(obj.kind, obj.apiVersion) === DEFAULT_KIND_FIELDS) return values;
  const spec = record(obj['spec']);
  const status = record(obj['status']);
  switch (obj.kind) {
    case 'Pod': {
      const podIPs = Array.isArray(status['podIPs']) ? (status['podIPs'] as unknown[]) : [];
      values['spec.nodeName'] = str(spec['nodeName']);
      values['spec.restartPolicy'] = str(spec['restartPolicy']);
      values['spec.schedulerName'] = str(spec['schedulerName']);
      values['spec.serviceAccountName'] = str(spec['serviceAccountName']);
      values['spec.hostNetwork'] = spec['hostNetwork'] === true ? 'true' : 'false';
      values['status.phase'] = str(status['phase']);
      values['status.podIP'] = str(status['podIP']) || str(record(podIPs[0])['ip']);
      values['status.nominatedNodeName'] = str(status['nominatedNodeName']);
      break;
    }
    case 'Node':
      values['spec.unschedulable'] = spec['unschedulable'] === true ? 'true' : 'false';
      break;
    case 'ReplicationController':
      values['status.replicas'] = num(status['replicas']);
      break;
    case 'Event': {
      // core/v1 names; events.k8s.io/v1 objects carry the same data under other names.
      const involved = record(obj['involvedObject'] ?? obj['regarding']);
      const reportingComponent = str(obj['reportingComponent'] ?? obj['reportingController']);
      const source = str(record(obj['source'] ?? obj['deprecatedSource'])['component']);
      values['involvedObject.kind'] = str(involved['kind']);
      values['involvedObject.namespace'] = str(involved['namespace']);
      values['involvedObject.name'] = str(involved['name']);
      values['involvedObject.uid'] = str(involved['uid']);
      values['involvedObject.apiVersion'] = str(involved['apiVersion']);
      values['involvedObject.resourceVersion'] = str(involved['resourceVersion']);
      values['involvedObject.fieldPath'] = str(involved['fieldPath']);
      values['reason'] = str(obj['reason']);
      values['reportingComponent'] = reportingComponent;
      values['source'] = source || reportingComponent;
      values['type'] = str(obj['type']);
      break;
    }
    case 'Namespace':
      values['status.phase'] = str(status['phase']);
      break;
    case 'Secret':
      values['type'] = str(obj['type']);
      break;
    case 'Service':
      values['spec.clusterIP'] = str(spec['clusterIP']);
      values['spec.type'] = str(spec['type']);
      break;
    case 'Job':
      values['status.successful'] = num(status['succeeded']);
      break;
  }
  return values;
}
