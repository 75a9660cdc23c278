// The end-to-end tests run on the same stack as the demo (lab/stack.ts), with fixed credentials
// so tests can act as each role.
import { startLabStack, type LabStack, type LabStackOptions } from '../../lab/stack.js';

export { objectsMarkedBy, type InProcessWorker } from '../../lab/stack.js';
export type RunHarness = LabStack;

export const WEBHOOK_SECRET = 'run-harness-webhook-secret-0123456789';
/** API tokens of the harness's API, one per role. */
export const TOKENS = {
  viewer: ['viewer-token-0123456789abcdef'],
  operator: ['operator-token-0123456789abcdef'],
  admin: ['admin-token-0123456789abcdef'],
};

export function startRunHarness(options: Omit<LabStackOptions, 'tokens' | 'webhookSecret'> = {}) {
  return startLabStack({ ...options, tokens: TOKENS, webhookSecret: WEBHOOK_SECRET });
}
