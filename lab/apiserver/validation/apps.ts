/** apps/v1 Deployment and ReplicaSet, as pkg/apis/apps/validation validates them. */
import type { KubeObject } from '../types.js';
import {
  asArray,
  asObject,
  child,
  forbidden,
  goJSON,
  invalid,
  notSupported,
  Rendered,
  required,
  type Findings,
} from './field.js';
import { asPrefixAware, validateAnnotations, validateLabels } from './meta.js';
import { isDNS1123Subdomain, isValidPercent } from './names.js';
import { validatePodSpec } from './podspec.js';
import { isEmptySelector, selectorMatches, validateLabelSelector } from './selector.js';
import type { KindValidator } from './kinds.js';

const NEGATIVE = 'must be greater than or equal to 0';

function nonNegative(value: unknown, path: string, out: Findings): void {
  if (typeof value === 'number' && value < 0) out.invalid.push(invalid(path, value, NEGATIVE));
}

/** A *metav1.LabelSelector as encoding/json writes it (omitempty, struct field order). */
function renderSelector(selector: unknown): Rendered {
  const sel = asObject(selector);
  const parts: string[] = [];
  if (Object.keys(asObject(sel.matchLabels)).length)
    parts.push(`"matchLabels":${goJSON(sel.matchLabels)}`);
  const exprs = asArray(sel.matchExpressions).map((raw) => {
    const e = asObject(raw);
    const values = asArray(e.values);
    const fields = [`"key":${goJSON(e.key ?? '')}`, `"operator":${goJSON(e.operator ?? '')}`];
    if (values.length) fields.push(`"values":${goJSON(values)}`);
    return `{${fields.join(',')}}`;
  });
  if (exprs.length) parts.push(`"matchExpressions":[${exprs.join(',')}]`);
  return new Rendered(`{${parts.join(',')}}`);
}

/** ValidateLabelSelector + emptiness + template match, shared by Deployment and ReplicaSet. */
function validateSelectorAndTemplate(spec: Record<string, unknown>, out: Findings): void {
  const template = asObject(spec.template);
  const templateMeta = asObject(template.metadata);
  let converts = true;
  if (spec.selector === undefined || spec.selector === null) {
    out.invalid.push(required('spec.selector'));
  } else {
    converts = validateLabelSelector(spec.selector, 'spec.selector', out);
    if (isEmptySelector(spec.selector)) {
      out.invalid.push(
        invalid(
          'spec.selector',
          renderSelector(spec.selector),
          'empty selector is invalid for deployment',
        ),
      );
    }
  }
  if (!converts) {
    out.invalid.push(
      invalid('spec.selector', renderSelector(spec.selector), 'invalid label selector'),
    );
    return;
  }
  // A missing selector converts to labels.Nothing(), which matches no labels at all.
  const missing = spec.selector === undefined || spec.selector === null;
  const matches = !missing && selectorMatches(spec.selector, templateMeta.labels);
  if (missing || (!isEmptySelector(spec.selector) && !matches)) {
    out.invalid.push(
      invalid(
        'spec.template.metadata.labels',
        templateMeta.labels ?? null,
        '`selector` does not match template `labels`',
      ),
    );
  }
  validateLabels(templateMeta.labels, 'spec.template.labels', out);
  validateAnnotations(templateMeta.annotations, 'spec.template.annotations', out);
  validatePodSpec(template.spec, 'spec.template.spec', out);
  const podSpec = asObject(template.spec);
  const restartPolicy = podSpec.restartPolicy ?? 'Always';
  if (restartPolicy !== 'Always') {
    out.invalid.push(notSupported('spec.template.spec.restartPolicy', restartPolicy, ['Always']));
  }
  if (podSpec.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null) {
    out.invalid.push(
      forbidden(
        'spec.template.spec.activeDeadlineSeconds',
        'activeDeadlineSeconds in ReplicaSet is not Supported',
      ),
    );
  }
}

/** IntOrString as encoding/json writes it inside an internal struct. */
const intOrString = (v: unknown): string => (v === undefined || v === null ? 'null' : goJSON(v));

/** getIntOrPercentValue: a valid percent's number, else IntOrString.IntValue(). */
function intOrPercentValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return 0;
  if (isValidPercent(v).length === 0) return Number(v.slice(0, -1));
  return /^[+-]?\d+$/.test(v) ? Number(v) : 0;
}

function validateIntOrPercent(value: unknown, path: string, out: Findings): void {
  if (typeof value === 'string') {
    for (const msg of isValidPercent(value)) out.invalid.push(invalid(path, value, msg));
  } else {
    nonNegative(value, path, out);
  }
}

function validateStrategy(strategy: unknown, out: Findings): void {
  const s = asObject(strategy);
  const type = s.type ?? 'RollingUpdate';
  const path = 'spec.strategy';
  if (type === 'Recreate') {
    if (s.rollingUpdate !== undefined && s.rollingUpdate !== null) {
      out.invalid.push(
        forbidden(
          child(path, 'rollingUpdate'),
          "may not be specified when strategy `type` is 'Recreate'",
        ),
      );
    }
  } else if (type === 'RollingUpdate') {
    const ru = asObject(s.rollingUpdate);
    const maxUnavailable = ru.maxUnavailable ?? '25%';
    const maxSurge = ru.maxSurge ?? '25%';
    const ruPath = child(path, 'rollingUpdate');
    validateIntOrPercent(maxUnavailable, child(ruPath, 'maxUnavailable'), out);
    validateIntOrPercent(maxSurge, child(ruPath, 'maxSurge'), out);
    if (intOrPercentValue(maxUnavailable) === 0 && intOrPercentValue(maxSurge) === 0) {
      out.invalid.push(
        invalid(
          child(ruPath, 'maxUnavailable'),
          maxUnavailable,
          'may not be 0 when `maxSurge` is 0',
        ),
      );
    }
    if (
      typeof maxUnavailable === 'string' &&
      isValidPercent(maxUnavailable).length === 0 &&
      intOrPercentValue(maxUnavailable) > 100
    ) {
      out.invalid.push(
        invalid(child(ruPath, 'maxUnavailable'), maxUnavailable, 'must not be greater than 100%'),
      );
    }
  } else {
    // The bad value is the internal DeploymentStrategy struct, which has no JSON tags.
    const ru = s.rollingUpdate;
    const rendered =
      ru === undefined || ru === null
        ? 'null'
        : `{"MaxUnavailable":${intOrString(asObject(ru).maxUnavailable)},"MaxSurge":${intOrString(asObject(ru).maxSurge)}}`;
    out.invalid.push(
      notSupported(path, new Rendered(`{"Type":${goJSON(type)},"RollingUpdate":${rendered}}`), [
        'Recreate',
        'RollingUpdate',
      ]),
    );
  }
}

/** apps/v1 makes the selector immutable; the error renders it as JSON. */
function selectorImmutable(obj: KubeObject, old: KubeObject | undefined, out: Findings): void {
  if (!old) return;
  const now = asObject(obj.spec).selector;
  const was = asObject(old.spec).selector;
  if (goJSON(now ?? null) !== goJSON(was ?? null)) {
    out.invalid.push(invalid('spec.selector', renderSelector(now), 'field is immutable'));
  }
}

const name = asPrefixAware(isDNS1123Subdomain);

const deployment: KindValidator = {
  meta: { namespaced: true, name },
  fields: ['spec', 'status'],
  validate(obj, out, ctx) {
    const spec = asObject(obj.spec);
    nonNegative(spec.replicas ?? 1, 'spec.replicas', out);
    validateSelectorAndTemplate(spec, out);
    validateStrategy(spec.strategy, out);
    const minReady = typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0;
    nonNegative(minReady, 'spec.minReadySeconds', out);
    nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit', out);
    const deadline = spec.progressDeadlineSeconds ?? 600;
    nonNegative(deadline, 'spec.progressDeadlineSeconds', out);
    if (typeof deadline === 'number' && deadline <= minReady) {
      out.invalid.push(
        invalid('spec.progressDeadlineSeconds', deadline, 'must be greater than minReadySeconds'),
      );
    }
    if (ctx.operation === 'update') selectorImmutable(obj, ctx.old, out);
  },
};

const replicaSet: KindValidator = {
  meta: { namespaced: true, name },
  fields: ['spec', 'status'],
  validate(obj, out, ctx) {
    const spec = asObject(obj.spec);
    nonNegative(spec.replicas ?? 1, 'spec.replicas', out);
    nonNegative(spec.minReadySeconds, 'spec.minReadySeconds', out);
    validateSelectorAndTemplate(spec, out);
    if (ctx.operation === 'update') selectorImmutable(obj, ctx.old, out);
  },
};

export const APPS_KINDS: Record<string, KindValidator> = {
  Deployment: deployment,
  ReplicaSet: replicaSet,
};
