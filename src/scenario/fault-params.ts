/**
 * The `spec.fault.params` of each fault type (SPEC §4). The fault implementations import these
 * schemas and types; `spec.fault` picks one by `type`.
 *
 * Fields that only make sense in one mode are refused in the other (`memoryLimit` with
 * `mode: kill`), and the output types say which fields each mode has.
 */
import { z } from 'zod';
import {
  checkedString,
  dnsLabel,
  dnsLabelError,
  dnsSubdomain,
  dnsSubdomainError,
  expected,
  intOrPercent,
  kubernetesLabels,
  nonEmptyString,
  positiveDuration,
  positiveQuantity,
  show,
  withDocumentedDefault,
} from './primitives.js';

export const FAULT_TYPES = ['istiod-oom', 'port-block', 'cert-expiry', 'deny-policy'] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

/** A field that belongs to another mode: reported at its name. */
function notInMode(ctx: z.RefinementCtx, field: string, where: string): void {
  ctx.addIssue({
    code: 'custom',
    message: `is only used with ${where}`,
    path: [field],
    params: { at: 'key' },
  });
}

const revision = () =>
  dnsLabel().meta({
    description:
      'Istio revision of the control plane (Deployment istiod-<rev>, pods istio.io/rev=<rev>); absent = the default Deployment istiod.',
  });

// ---------------------------------------------------------------------------------------------
// istiod-oom
// ---------------------------------------------------------------------------------------------

export const DEFAULT_MEMORY_LIMIT = '32Mi';

/** Deployment rolling-update parameters applied while the fault is in effect. */
export interface RolloutStrategy {
  maxSurge: number | string;
  maxUnavailable: number | string;
}

export const DEFAULT_ROLLOUT_STRATEGY: Readonly<RolloutStrategy> = {
  maxSurge: 0,
  maxUnavailable: '100%',
};

const isZero = (value: number | string) => value === 0 || /^0+%$/.test(String(value));

export const rolloutStrategySchema = z
  .strictObject({
    maxSurge: intOrPercent().default(DEFAULT_ROLLOUT_STRATEGY.maxSurge),
    maxUnavailable: intOrPercent(100).default(DEFAULT_ROLLOUT_STRATEGY.maxUnavailable),
  })
  .superRefine((strategy, ctx) => {
    if (isZero(strategy.maxSurge) && isZero(strategy.maxUnavailable)) {
      ctx.addIssue({
        code: 'custom',
        message: 'maxSurge and maxUnavailable cannot both be 0 (the rollout could never proceed)',
        path: ['maxUnavailable'],
      });
    }
  })
  .meta({
    description:
      'Rollout strategy while the fault is in effect; the default replaces every replica at once so each new pod is OOMKilled.',
  });

export type IstiodOomParams =
  | {
      /** Patch the `discovery` container's memory request and limit so istiod is OOMKilled. */
      mode: 'oom';
      /** Kubernetes quantity, greater than zero. */
      memoryLimit: string;
      strategy: RolloutStrategy;
      revision?: string;
    }
  | {
      /** Only delete the istiod pods. */
      mode: 'kill';
      revision?: string;
    };

export const istiodOomParams = z
  .strictObject({
    mode: z
      .enum(['oom', 'kill'])
      .default('oom')
      .meta({ description: 'oom: patch memory below the working set; kill: only delete pods.' }),
    memoryLimit: withDocumentedDefault(
      positiveQuantity(
        'Memory request and limit for the discovery container (mode oom), below its working set.',
      ).optional(),
      DEFAULT_MEMORY_LIMIT,
    ),
    strategy: rolloutStrategySchema.optional(),
    revision: revision().optional(),
  })
  .transform((params, ctx): IstiodOomParams => {
    const rev = params.revision !== undefined ? { revision: params.revision } : {};
    if (params.mode === 'kill') {
      if (params.memoryLimit !== undefined) notInMode(ctx, 'memoryLimit', 'mode: oom');
      if (params.strategy !== undefined) notInMode(ctx, 'strategy', 'mode: oom');
      return { mode: 'kill', ...rev };
    }
    return {
      mode: 'oom',
      memoryLimit: params.memoryLimit ?? DEFAULT_MEMORY_LIMIT,
      strategy: params.strategy ?? { ...DEFAULT_ROLLOUT_STRATEGY },
      ...rev,
    };
  });

// ---------------------------------------------------------------------------------------------
// port-block
// ---------------------------------------------------------------------------------------------

/** 15010 plaintext xDS, 15012 xDS + CA over TLS, 15017 injection webhook. */
export const ISTIOD_PORTS = [15010, 15012, 15017] as const;
export type IstiodPort = (typeof ISTIOD_PORTS)[number];

export const portBlockParams = z.strictObject({
  ports: z
    .array(z.literal(ISTIOD_PORTS), { error: expected('a list of ports') })
    .min(1)
    .superRefine((ports, ctx) => {
      ports.forEach((port, index) => {
        if (ports.indexOf(port) !== index) {
          ctx.addIssue({ code: 'custom', message: `port ${port} is listed twice`, path: [index] });
        }
      });
    })
    .meta({
      description:
        'istiod ports to block: 15010 (plaintext xDS), 15012 (xDS + CA over TLS), 15017 (injection webhook).',
    }),
  restartControlPlane: z
    .boolean({ error: expected('true or false') })
    .default(true)
    .meta({
      description:
        'Restart istiod after applying the policy: many CNIs only enforce NetworkPolicies on new connections.',
    }),
  revision: revision().optional(),
});

export type PortBlockParams = z.output<typeof portBlockParams>;

// ---------------------------------------------------------------------------------------------
// cert-expiry
// ---------------------------------------------------------------------------------------------

export const DEFAULT_EXPIRED_FOR = '24h';

export interface GatewayRef {
  name: string;
  namespace: string;
}

export type CertExpiryParams =
  | {
      /** Repoint one Gateway server's credentialName to a Secret holding an expired certificate. */
      mode: 'gateway';
      gateway: GatewayRef;
      /**
       * Port name or host selecting one server of the Gateway; absent = the first SIMPLE or
       * MUTUAL server with a credentialName.
       */
      server?: string;
      /** How long ago the certificate expired. */
      expiredFor: string;
    }
  | {
      /** Install an expired intermediate CA in `cacerts` and restart istiod (mesh-wide). */
      mode: 'mesh-ca';
      expiredFor: string;
    };

export const certExpiryParams = z
  .strictObject({
    mode: z.enum(['gateway', 'mesh-ca']).default('gateway').meta({
      description:
        'gateway: expire one Gateway server certificate; mesh-ca: expire the mesh intermediate CA (needs allowMeshWide).',
    }),
    gateway: z.strictObject({ name: dnsSubdomain(), namespace: dnsLabel() }).optional().meta({
      description:
        'The Gateway (networking.istio.io) whose certificate expires; required with mode gateway.',
    }),
    server: nonEmptyString()
      .optional()
      .meta({ description: 'Port name or host picking one server of the Gateway.' }),
    expiredFor: positiveDuration('How long ago the certificate expired.').default(
      DEFAULT_EXPIRED_FOR,
    ),
  })
  .transform((params, ctx): CertExpiryParams => {
    if (params.mode === 'mesh-ca') {
      if (params.gateway !== undefined) notInMode(ctx, 'gateway', 'mode: gateway');
      if (params.server !== undefined) notInMode(ctx, 'server', 'mode: gateway');
      return { mode: 'mesh-ca', expiredFor: params.expiredFor };
    }
    if (params.gateway === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'is required with mode: gateway ({ name, namespace } of the Gateway)',
        path: ['gateway'],
      });
      return z.NEVER;
    }
    return {
      mode: 'gateway',
      gateway: { name: params.gateway.name, namespace: params.gateway.namespace },
      ...(params.server !== undefined && { server: params.server }),
      expiredFor: params.expiredFor,
    };
  });

// ---------------------------------------------------------------------------------------------
// deny-policy
// ---------------------------------------------------------------------------------------------

const PRINCIPAL = /^([^/\s]+)\/ns\/([^/\s]+)\/sa\/([^/\s]+)$/;

/** Why the text is not a `<trust-domain>/ns/<namespace>/sa/<service-account>` principal. */
function principalError(text: string): string | undefined {
  const match = PRINCIPAL.exec(text);
  const ok =
    match !== null &&
    dnsLabelError(match[2] ?? '') === undefined &&
    dnsSubdomainError(match[3] ?? '') === undefined;
  return ok
    ? undefined
    : `must be a principal <trust-domain>/ns/<namespace>/sa/<service-account>, e.g. cluster.local/ns/payments/sa/checkout; got ${show(text)}`;
}

export const denyPolicyParams = z
  .strictObject({
    name: dnsSubdomain()
      .optional()
      .meta({ description: 'Name of the AuthorizationPolicy; absent = derived from the run id.' }),
    selector: z
      .strictObject({ matchLabels: kubernetesLabels({ nonEmpty: true }) })
      .optional()
      .meta({ description: 'Workload selector; absent = every workload in the namespace.' }),
    rule: z.enum(['deny-all', 'typo-principal']).default('deny-all').meta({
      description:
        "deny-all: rules: [{}]; typo-principal: notPrincipals with a typo'd service account, so every other caller is denied.",
    }),
    principal: checkedString('a principal', principalError).optional().meta({
      description:
        "rule typo-principal: the principal whose service account is misspelt, e.g. cluster.local/ns/payments/sa/checkout; absent = the namespace's default service account.",
    }),
    rehearse: z
      .boolean({ error: expected('true or false') })
      .default(false)
      .meta({
        description:
          'Add istio.io/dry-run: "true": the policy is only logged (audit before deny), never enforced.',
      }),
  })
  .superRefine((params, ctx) => {
    if (params.rule !== 'typo-principal' && params.principal !== undefined) {
      notInMode(ctx, 'principal', 'rule: typo-principal');
    }
  });

export type DenyPolicyParams = z.output<typeof denyPolicyParams>;

// ---------------------------------------------------------------------------------------------

export const faultParamsSchemas = {
  'istiod-oom': istiodOomParams,
  'port-block': portBlockParams,
  'cert-expiry': certExpiryParams,
  'deny-policy': denyPolicyParams,
} as const;

export interface FaultParamsByType {
  'istiod-oom': IstiodOomParams;
  'port-block': PortBlockParams;
  'cert-expiry': CertExpiryParams;
  'deny-policy': DenyPolicyParams;
}
export type FaultParams<T extends FaultType = FaultType> = FaultParamsByType[T];
