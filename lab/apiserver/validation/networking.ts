/**
 * networking.k8s.io/v1 NetworkPolicy, as pkg/apis/networking/validation validates it. A missing
 * podSelector is valid: it decodes as the empty selector, which selects every pod.
 */
import { isIP } from 'node:net';
import {
  asArray,
  asObject,
  asString,
  child,
  forbidden,
  index,
  invalid,
  isObject,
  notSupported,
  required,
  type Findings,
} from './field.js';
import { asPrefixAware } from './meta.js';
import { isDNS1123Subdomain, isValidPortName, isValidPortNum } from './names.js';
import { validateLabelSelector } from './selector.js';
import type { KindValidator } from './kinds.js';

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const POLICY_TYPES = ['Ingress', 'Egress'];
const CIDR_MESSAGE = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';

interface Cidr {
  v6: boolean;
  address: bigint;
  prefix: number;
}

function addressBits(ip: string, v6: boolean): bigint {
  if (!v6) return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
  const [head = '', tail = ''] = ip.includes('::') ? ip.split('::') : [ip, ''];
  const groups = (s: string): string[] => (s ? s.split(':') : []);
  let left = groups(head);
  let right = groups(tail);
  // An embedded IPv4 tail (::ffff:1.2.3.4) counts as two groups.
  const expand = (gs: string[]): string[] =>
    gs.flatMap((g) => {
      if (!g.includes('.')) return [g];
      const v4 = addressBits(g, false);
      return [(v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16)];
    });
  left = expand(left);
  right = expand(right);
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** netutils.ParseCIDRSloppy: like net.ParseCIDR but IPv4 octets may have leading zeros. */
function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = text.slice(0, slash);
  const bits = text.slice(slash + 1);
  const sloppy = /^\d{1,3}(\.\d{1,3}){3}$/.test(ip)
    ? ip
        .split('.')
        .map((o) => String(Number(o)))
        .join('.')
    : ip;
  const family = isIP(sloppy);
  if (family === 0 || !/^\d{1,3}$/.test(bits)) return undefined;
  const v6 = family === 6;
  const prefix = Number(bits);
  if (prefix > (v6 ? 128 : 32)) return undefined;
  return { v6, address: addressBits(sloppy, v6), prefix };
}

function contains(outer: Cidr, inner: Cidr): boolean {
  if (outer.v6 !== inner.v6) return false;
  const width = outer.v6 ? 128n : 32n;
  const shift = width - BigInt(outer.prefix);
  return outer.address >> shift === inner.address >> shift;
}

function validateIPBlock(block: unknown, path: string, out: Findings): void {
  const ipb = asObject(block);
  const cidrText = asString(ipb.cidr);
  if (!cidrText) {
    out.invalid.push(required(child(path, 'cidr')));
    return;
  }
  const cidr = parseCidr(cidrText);
  if (!cidr) {
    out.invalid.push(invalid(child(path, 'cidr'), cidrText, CIDR_MESSAGE));
    return;
  }
  asArray(ipb.except).forEach((raw, i) => {
    const at = index(child(path, 'except'), i);
    const text = asString(raw);
    const except = parseCidr(text);
    if (!except) out.invalid.push(invalid(at, text, CIDR_MESSAGE));
    else if (!contains(cidr, except) || cidr.prefix >= except.prefix) {
      out.invalid.push(invalid(at, text, 'must be a strict subset of `cidr`'));
    }
  });
}

function validatePort(raw: unknown, path: string, out: Findings): void {
  const port = asObject(raw);
  if (
    port.protocol !== undefined &&
    port.protocol !== null &&
    !PROTOCOLS.includes(String(port.protocol))
  ) {
    out.invalid.push(notSupported(child(path, 'protocol'), port.protocol, PROTOCOLS));
  }
  const endPort = port.endPort;
  const hasEnd = endPort !== undefined && endPort !== null;
  if (port.port === undefined || port.port === null) {
    if (hasEnd) {
      out.invalid.push(
        invalid(
          child(path, 'endPort'),
          endPort,
          'may not be specified when `port` is not specified',
        ),
      );
    }
  } else if (typeof port.port === 'number') {
    for (const msg of isValidPortNum(port.port)) {
      out.invalid.push(invalid(child(path, 'port'), port.port, msg));
    }
    if (hasEnd) {
      const end = Number(endPort);
      if (end < port.port) {
        // The real server reports `port`'s value here, not endPort's.
        out.invalid.push(
          invalid(child(path, 'endPort'), port.port, 'must be greater than or equal to `port`'),
        );
      }
      for (const msg of isValidPortNum(end))
        out.invalid.push(invalid(child(path, 'endPort'), end, msg));
    }
  } else {
    if (hasEnd) {
      out.invalid.push(
        invalid(child(path, 'endPort'), endPort, 'may not be specified when `port` is non-numeric'),
      );
    }
    const name = asString(port.port);
    for (const msg of isValidPortName(name))
      out.invalid.push(invalid(child(path, 'port'), name, msg));
  }
}

function validatePeer(raw: unknown, path: string, out: Findings): void {
  const peer = asObject(raw);
  const present = (k: string): boolean => isObject(peer[k]);
  if (present('podSelector'))
    validateLabelSelector(peer.podSelector, child(path, 'podSelector'), out);
  if (present('namespaceSelector')) {
    validateLabelSelector(peer.namespaceSelector, child(path, 'namespaceSelector'), out);
  }
  if (present('ipBlock')) validateIPBlock(peer.ipBlock, child(path, 'ipBlock'), out);
  const count = ['podSelector', 'namespaceSelector', 'ipBlock'].filter(present).length;
  if (count === 0) out.invalid.push(required(path, 'must specify a peer'));
  else if (count > 1 && present('ipBlock')) {
    out.invalid.push(forbidden(path, 'may not specify both ipBlock and another peer'));
  }
}

const networkPolicy: KindValidator = {
  meta: { namespaced: true, name: asPrefixAware(isDNS1123Subdomain) },
  fields: ['spec'],
  validate(obj, out) {
    const spec = asObject(obj.spec);
    validateLabelSelector(spec.podSelector, 'spec.podSelector', out);
    for (const [direction, peers] of [
      ['ingress', 'from'],
      ['egress', 'to'],
    ] as const) {
      asArray(spec[direction]).forEach((raw, i) => {
        const rule = asObject(raw);
        const at = index(`spec.${direction}`, i);
        asArray(rule.ports).forEach((p, j) => validatePort(p, index(child(at, 'ports'), j), out));
        asArray(rule[peers]).forEach((p, j) => validatePeer(p, index(child(at, peers), j), out));
      });
    }
    const types = asArray(spec.policyTypes);
    if (types.length > POLICY_TYPES.length) {
      out.invalid.push(
        invalid('spec.policyTypes', types, 'may not specify more than two policyTypes'),
      );
      return;
    }
    types.forEach((t, i) => {
      if (!POLICY_TYPES.includes(String(t))) {
        out.invalid.push(notSupported(index('spec.policyTypes', i), t, POLICY_TYPES));
      }
    });
  },
};

export const NETWORKING_KINDS: Record<string, KindValidator> = { NetworkPolicy: networkPolicy };
