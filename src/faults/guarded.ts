import type { Fault as ScenarioFault } from '../scenario/schema.js';
import { faultFor } from './catalogue.js';
import { NotAllowed } from './errors.js';
import type { Fault, FaultContext, Finding, Verification } from './fault.js';
import { assertAllowed, type SafetyPolicy } from './guard.js';

/**
 * A scenario's fault bound to its params and to the safety policy. This is how the run engine
 * reaches a fault, so nothing is injected (or planned, in dry-run) before the allowlist and the
 * mesh-wide gate have said yes for the namespace the fault writes in (`ctx.namespace`).
 * Revert and verify are not gated: undoing what a run did must stay possible even after the
 * allowlist changed under it.
 */
export interface GuardedFault {
  readonly type: ScenarioFault['type'];
  readonly meshWide: boolean;
  preflight(ctx: FaultContext): Promise<Finding[]>;
  inject(ctx: FaultContext): Promise<void>;
  revert(ctx: FaultContext): Promise<void>;
  verify(ctx: FaultContext): Promise<Verification>;
}

export function guardFault(spec: ScenarioFault, policy: SafetyPolicy): GuardedFault {
  const fault = faultFor(spec.type) as Fault<unknown> | undefined;
  if (!fault) {
    throw new NotAllowed(`fault type ${spec.type} is not implemented by this version of gameday`);
  }
  const params: unknown = spec.params;
  const meshWide = fault.meshWide(params);
  const check = (ctx: FaultContext) =>
    assertAllowed(policy, { namespace: ctx.namespace, meshWide, faultType: spec.type });
  return {
    type: spec.type,
    meshWide,
    async preflight(ctx) {
      try {
        check(ctx);
      } catch (err) {
        if (err instanceof NotAllowed) {
          return [
            { severity: 'blocker', message: err.message, ...(err.code && { code: err.code }) },
          ];
        }
        throw err;
      }
      return fault.preflight(ctx, params);
    },
    async inject(ctx) {
      check(ctx);
      await fault.inject(ctx, params);
    },
    revert: (ctx) => fault.revert(ctx, params),
    verify: (ctx) => fault.verify(ctx, params),
  };
}
