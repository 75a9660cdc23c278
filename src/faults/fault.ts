import type { z } from 'zod';
import type { Logger } from '../logger.js';
import type { KubeClients } from '../kube/clients.js';
import type { Journal } from './journal.js';

/** Something preflight noticed. `blocker` stops the run before anything is written. */
export interface Finding {
  severity: 'info' | 'warning' | 'blocker';
  message: string;
  /**
   * For findings a client answers in its own terms: `mesh-wide-consent` (the run needs
   * allowMeshWide, the CLI's --allow-mesh-wide).
   */
  code?: FindingCode;
}

export type FindingCode = 'mesh-wide-consent';

/** A write the fault would send, as dry-run reports it. */
export interface PlannedWrite {
  verb: 'create' | 'replace' | 'delete';
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  /** The object to create, or the whole object a replace sends. */
  body?: unknown;
  /** For a replace: the fields it changes. */
  changes?: Array<{ path: string; value?: unknown }>;
}

export interface FaultContext {
  kube: KubeClients;
  runId: string;
  /** The scenario's target namespace (already checked against the allowlist). */
  namespace: string;
  journal: Journal;
  /** When set, writes are recorded here instead of being sent. */
  dryRun?: PlannedWrite[];
  logger: Logger;
  /** Deadline for waits inside inject/revert (e.g. for a rollout), in ms. */
  waitTimeoutMs: number;
  now: () => Date;
}

export type FaultState = 'in-effect' | 'reverted' | 'partial';

export interface Verification {
  state: FaultState;
  details: string[];
}

/**
 * One kind of mesh failure. Implementations keep nothing in memory between calls: inject
 * journals every change before making it, and revert works from the journal alone, so a
 * different worker can revert what this one injected.
 */
export interface Fault<P> {
  readonly type: string;
  readonly paramsSchema: z.ZodType<P>;
  /** Faults that break the whole mesh need `allowMeshWide` on the run. */
  meshWide(params: P): boolean;
  preflight(ctx: FaultContext, params: P): Promise<Finding[]>;
  inject(ctx: FaultContext, params: P): Promise<void>;
  revert(ctx: FaultContext, params: P): Promise<void>;
  verify(ctx: FaultContext, params: P): Promise<Verification>;
}
