import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import { buildInfo } from '../build-info.js';
import type { Clock } from '../measure/types.js';
import type { Scenario } from '../scenario/schema.js';
import { applyOverrides, type RunOverrides } from './overrides.js';
import type { RunStore } from './store.js';
import { RUN_SCHEMA_VERSION, type Actor, type RunRecord, type TargetBusyPolicy } from './types.js';

export interface RunRequest {
  /** A validated scenario (from the catalogue or inline). */
  scenario: Scenario;
  overrides?: RunOverrides;
  dryRun?: boolean;
  allowMeshWide?: boolean;
  onTargetBusy?: TargetBusyPolicy;
  createdBy: Actor;
  parentId?: string;
  /** A GameDay gives its children ids derived from its own, so a repeated step finds them. */
  id?: string;
}

/** The kill switch is engaged: no run starts until it is released. */
export class Halted extends Error {
  override name = 'Halted';
  readonly retryable = false;
}

/** The overrides make the scenario invalid; `issues` name the fields. */
export class InvalidOverrides extends Error {
  override name = 'InvalidOverrides';
  readonly retryable = false;
  constructor(readonly issues: Array<{ path: (string | number)[]; message: string }>) {
    super(
      `invalid overrides: ${issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
}

export const RUN_JOB = 'run';

/**
 * A run id: UTC creation time (sortable, readable in `kubectl get -l gameday/run-id=…`) and
 * random bytes. Valid as a Kubernetes label value.
 */
export function newRunId(now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

/**
 * Records a run (its scenario snapshot: later edits of the file do not change it) and queues it.
 * The job id is the run id, so a run is queued at most once however often this is retried.
 */
export async function submitRun(
  deps: { store: RunStore; queue: Queue; clock: Clock },
  request: RunRequest,
): Promise<RunRecord> {
  const halt = await deps.store.haltState();
  if (halt) {
    throw new Halted(
      `the kill switch is engaged (by ${halt.by}: ${halt.reason}); release it first`,
    );
  }
  const applied = applyOverrides(request.scenario, request.overrides);
  if (!applied.success) {
    throw new InvalidOverrides(
      applied.error.issues.map((i) => ({
        path: [
          'overrides',
          ...i.path.slice(1).filter((p): p is string | number => typeof p !== 'symbol'),
        ],
        message: i.message,
      })),
    );
  }
  const scenario = applied.data;
  const now = deps.clock.now();
  const record: RunRecord = {
    schemaVersion: RUN_SCHEMA_VERSION,
    id: request.id ?? newRunId(now),
    ...(request.parentId !== undefined && { parentId: request.parentId }),
    scenario,
    ...(request.overrides !== undefined && { overrides: request.overrides }),
    target: { context: scenario.spec.target.context, namespace: scenario.spec.target.namespace },
    options: {
      dryRun: request.dryRun ?? false,
      allowMeshWide: request.allowMeshWide ?? false,
      onTargetBusy: request.onTargetBusy ?? 'wait',
    },
    createdBy: request.createdBy,
    createdAt: now,
    updatedAt: now,
    state: 'queued',
    preflightFindings: [],
    result: {},
    toolVersion: buildInfo().version,
  };
  if (request.id !== undefined) {
    const existing = await deps.store.get(request.id);
    if (existing) return existing;
  }
  await deps.store.create(record);
  await enqueueRun(deps.queue, record.id);
  return record;
}

export async function enqueueRun(queue: Queue, runId: string): Promise<void> {
  await queue.add(
    RUN_JOB,
    { runId },
    {
      jobId: runId,
      attempts: 1,
      removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
      removeOnFail: { age: 30 * 24 * 3600 },
    },
  );
}
