/** Container resources: ValidateContainerResourceRequirements from pkg/apis/core/validation. */
import {
  asObject,
  child,
  forbidden,
  invalid,
  key,
  plain,
  required,
  type Findings,
} from './field.js';
import { isLabelKey } from './names.js';
import {
  formatQuantity,
  parseQuantity,
  quantityError,
  quantityText,
} from '../../../src/quantity.js';

const CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);
const STANDARD_RESOURCES = new Set([
  ...CONTAINER_RESOURCES,
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'requests.storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
  'quotas',
  'services',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'persistentvolumeclaims',
  'configmaps',
  'services.nodeports',
  'services.loadbalancers',
]);

const isHugePages = (name: string): boolean => name.startsWith('hugepages-');
const isNative = (name: string): boolean => !name.includes('/') || name.includes('kubernetes.io/');
/** Extended resources (`example.com/gpu`) must be whole numbers and cannot be overcommitted. */
const isExtended = (name: string): boolean => !isNative(name) && !name.startsWith('requests.');
const overcommitAllowed = (name: string): boolean => isNative(name) && !isHugePages(name);

function validateResourceName(name: string, path: string, out: Findings): void {
  const before = out.invalid.length;
  for (const msg of isLabelKey(name)) out.invalid.push(invalid(path, name, msg));
  if (out.invalid.length !== before) return;
  if (!name.includes('/')) {
    if (!STANDARD_RESOURCES.has(name) && !isHugePages(name)) {
      out.invalid.push(invalid(path, name, 'must be a standard resource type or fully qualified'));
    }
    if (!CONTAINER_RESOURCES.has(name) && !isHugePages(name)) {
      out.invalid.push(invalid(path, name, 'must be a standard resource for containers'));
    }
  }
}

interface Parsed {
  value: number;
  canonical: string;
}

/** Parses each entry of a limits/requests map, checking names and values as the server does. */
function readList(list: unknown, path: string, out: Findings): Map<string, Parsed> {
  const parsed = new Map<string, Parsed>();
  for (const [name, raw] of Object.entries(asObject(list))) {
    const at = key(path, name);
    const text = quantityText(raw);
    const error =
      text === undefined ? 'quantity must be a string or a number' : quantityError(text);
    if (text === undefined || error) {
      // Quantity.UnmarshalJSON fails: the whole request is a 400 decode error.
      out.malformed.push(plain('FieldValueInvalid', at, error ?? ''));
      continue;
    }
    const value = parseQuantity(text) ?? 0;
    const canonical = formatQuantity(text) ?? text;
    validateResourceName(name, at, out);
    if (value < 0) out.invalid.push(invalid(at, canonical, 'must be greater than or equal to 0'));
    if (isExtended(name) && !Number.isInteger(Math.ceil(value * 1000) / 1000)) {
      out.invalid.push(invalid(at, canonical, 'must be an integer'));
    }
    parsed.set(name, { value, canonical });
  }
  return parsed;
}

export function validateResources(resources: unknown, path: string, out: Findings): void {
  const res = asObject(resources);
  const limPath = child(path, 'limits');
  const reqPath = child(path, 'requests');
  const limits = readList(res.limits, limPath, out);
  const requests = readList(res.requests, reqPath, out);
  for (const [name, request] of requests) {
    const limit = limits.get(name);
    if (limit) {
      if (!overcommitAllowed(name) && request.value !== limit.value) {
        out.invalid.push(
          invalid(
            reqPath,
            request.canonical,
            `must be equal to ${name} limit of ${limit.canonical}`,
          ),
        );
      } else if (request.value > limit.value) {
        out.invalid.push(
          invalid(
            reqPath,
            request.canonical,
            `must be less than or equal to ${name} limit of ${limit.canonical}`,
          ),
        );
      }
    } else if (!overcommitAllowed(name)) {
      out.invalid.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
  }
  const names = [...limits.keys(), ...requests.keys()];
  if (names.some(isHugePages) && !names.some((n) => n === 'cpu' || n === 'memory')) {
    out.invalid.push(forbidden(path, 'HugePages require cpu or memory'));
  }
}
