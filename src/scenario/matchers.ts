/**
 * Which alerts count as detection (SPEC §6: "name + label matchers").
 *
 * An expected alert names the alert (`alertname`) and narrows it with
 * - `labels`: exact matches, `{ namespace: istio-system }`, as the SPEC's example writes them;
 * - `matchers`: Alertmanager/PromQL matcher strings for what exact values cannot say, e.g.
 *   `pod=~"istiod-.*"`, `severity!="info"`, `namespace!~"kube-.*"`. Regular expressions are
 *   anchored at both ends as in Prometheus; a leading `(?i)` makes one case-insensitive.
 *
 * As in Prometheus, a label the alert does not carry has the empty value.
 */
import { z } from 'zod';
import { expected, PROMETHEUS_LABEL_NAME, show } from './primitives.js';

export const MATCH_TYPES = ['=', '!=', '=~', '!~'] as const;
export type MatchType = (typeof MATCH_TYPES)[number];

export interface LabelMatcher {
  name: string;
  type: MatchType;
  value: string;
}

/** What the detection engine needs to know about an expected alert. */
export interface AlertExpectation {
  alertname: string;
  labels?: Readonly<Record<string, string>> | undefined;
  matchers?: readonly LabelMatcher[] | undefined;
}

const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/s;
export const MATCHER_HINT = `a label matcher such as 'pod=~"istiod-.*"' (operators =, !=, =~, !~)`;

/** Compiles a matcher's regular expression, anchored as Prometheus anchors it. */
export function matcherRegExp(pattern: string): RegExp {
  const caseless = pattern.startsWith('(?i)');
  const body = caseless ? pattern.slice(4) : pattern;
  return new RegExp(`^(?:${body})$`, caseless ? 'i' : '');
}

/** Parses `name op value` (value optionally double-quoted); returns a message when it cannot. */
export function parseMatcher(text: string): LabelMatcher | string {
  const match = MATCHER.exec(text);
  if (!match) return `must be ${MATCHER_HINT}; got ${show(text)}`;
  const [, name = '', type = '=', raw = ''] = match;
  let value = raw;
  if (raw.startsWith('"')) {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== 'string') throw new SyntaxError('not a string');
      value = parsed;
    } catch {
      return `the value of matcher ${show(text)} is not a complete double-quoted string`;
    }
  }
  return (
    checkMatcher({ name, type: type as MatchType, value }) ?? {
      name,
      type: type as MatchType,
      value,
    }
  );
}

function checkMatcher(matcher: LabelMatcher): string | undefined {
  if (!PROMETHEUS_LABEL_NAME.test(matcher.name)) {
    return `${show(matcher.name)} is not a Prometheus label name`;
  }
  if (matcher.type === '=~' || matcher.type === '!~') {
    try {
      matcherRegExp(matcher.value);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return `invalid regular expression ${show(matcher.value)}: ${reason}`;
    }
  }
  return undefined;
}

export function formatMatcher(matcher: LabelMatcher): string {
  return `${matcher.name}${matcher.type}${JSON.stringify(matcher.value)}`;
}

/** Whether a set of labels satisfies one matcher. */
export function matchesLabel(
  matcher: LabelMatcher,
  labels: Readonly<Record<string, string>>,
): boolean {
  const actual = labels[matcher.name] ?? '';
  switch (matcher.type) {
    case '=':
      return actual === matcher.value;
    case '!=':
      return actual !== matcher.value;
    case '=~':
      return matcherRegExp(matcher.value).test(actual);
    case '!~':
      return !matcherRegExp(matcher.value).test(actual);
  }
}

/** Whether a firing alert's labels are the expected alert: its name, exact labels and matchers. */
export function matchesAlert(
  expectation: AlertExpectation,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (labels['alertname'] !== expectation.alertname) return false;
  for (const [name, value] of Object.entries(expectation.labels ?? {})) {
    if ((labels[name] ?? '') !== value) return false;
  }
  return (expectation.matchers ?? []).every((matcher) => matchesLabel(matcher, labels));
}

/** A matcher: the string form (`pod=~"istiod-.*"`) or its parsed form `{ name, type, value }`. */
export const labelMatcher = () =>
  z
    .union(
      [
        z.string(),
        z.strictObject({
          name: z.string({ error: expected('a label name') }),
          type: z.enum(MATCH_TYPES),
          value: z.string({ error: expected('a string') }),
        }),
      ],
      { error: expected(MATCHER_HINT) },
    )
    .transform((input, ctx): LabelMatcher => {
      if (typeof input === 'string') {
        const parsed = parseMatcher(input);
        if (typeof parsed === 'string') {
          ctx.addIssue({ code: 'custom', message: parsed, input });
          return z.NEVER;
        }
        return parsed;
      }
      const error = checkMatcher(input);
      if (error !== undefined) {
        ctx.addIssue({ code: 'custom', message: error, input });
        return z.NEVER;
      }
      return { name: input.name, type: input.type, value: input.value };
    });
