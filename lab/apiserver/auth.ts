import { timingSafeEqual } from 'node:crypto';

/** An RBAC PolicyRule, optionally limited to namespaces the way a RoleBinding limits a Role. */
export interface PolicyRule {
  verbs: string[];
  apiGroups: string[];
  /** Plural resource names; `pods/status` for a subresource; `*` for all. */
  resources: string[];
  resourceNames?: string[];
  /** Omitted: cluster-wide (ClusterRoleBinding). Given: only in these namespaces (RoleBinding). */
  namespaces?: string[];
}

export interface LabUser {
  name: string;
  token: string;
  rules: PolicyRule[];
}

export interface Attributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export const ADMIN_RULES: PolicyRule[] = [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }];

export function authenticate(
  users: readonly LabUser[],
  header: string | undefined,
): LabUser | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const presented = Buffer.from(match[1]);
  return users.find((user) => {
    const expected = Buffer.from(user.token);
    return expected.length === presented.length && timingSafeEqual(expected, presented);
  });
}

export function authorize(user: LabUser, attributes: Attributes): boolean {
  return user.rules.some((rule) => ruleAllows(rule, attributes));
}

function ruleAllows(rule: PolicyRule, a: Attributes): boolean {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return (
    matchesAny(rule.verbs, a.verb) &&
    matchesAny(rule.apiGroups, a.group) &&
    (matchesAny(rule.resources, resource) ||
      (a.subresource !== undefined && rule.resources.includes(`${a.resource}/*`))) &&
    (rule.resourceNames === undefined ||
      rule.resourceNames.length === 0 ||
      (a.name !== undefined && rule.resourceNames.includes(a.name))) &&
    (rule.namespaces === undefined ||
      (a.namespace !== undefined && rule.namespaces.includes(a.namespace)))
  );
}

function matchesAny(allowed: string[], value: string): boolean {
  return allowed.includes('*') || allowed.includes(value);
}
