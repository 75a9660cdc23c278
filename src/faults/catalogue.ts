import type { FaultParams, FaultType } from '../scenario/fault-params.js';
import { certExpiry } from './cert-expiry.js';
import { denyPolicy } from './deny-policy.js';
import type { Fault } from './fault.js';
import { istiodOom } from './istiod-oom.js';
import { portBlock } from './port-block.js';

/**
 * Every fault kind the tool can run, by scenario `fault.type`. A kind missing here is
 * refused at run time with a clear message rather than half-run.
 */
export const FAULTS: { [T in FaultType]?: Fault<FaultParams<T>> } = {
  'cert-expiry': certExpiry,
  'deny-policy': denyPolicy,
  'istiod-oom': istiodOom,
  'port-block': portBlock,
};

export function faultFor<T extends FaultType>(type: T): Fault<FaultParams<T>> | undefined {
  return FAULTS[type] as Fault<FaultParams<T>> | undefined;
}
