import { isDeepStrictEqual } from 'node:util';
import { Queue } from 'bullmq';
import type { LabStack } from '../../lab/stack.js';
import { systemClock } from '../../src/measure/types.js';
import { QUEUE_PREFIX, RUNS_QUEUE } from '../../src/queue.js';
import { PATCHED_BY_ANNOTATION, RUN_ID_LABEL } from '../../src/faults/ownership.js';
import { RESOURCE_TYPES } from '../../lab/apiserver/resources.js';
import { keys } from '../../src/run/keys.js';
import { isFinal, mayHoldFault } from '../../src/run/lifecycle.js';
import { submitRun } from '../../src/run/submit.js';
import type { RunRecord } from '../../src/run/types.js';
import type { Scenario } from '../../src/scenario/schema.js';
import { startEntryProcess, type EntryProcess } from './entry-process.js';
import { seededRandom } from './seeded-random.js';
import { waitFor } from './wait-for.js';

/**
 * Worker-kill chaos (issue 9, SPEC §5): worker processes run a stream of real runs against the
 * lab while a killer SIGKILLs one of them at random moments and starts a replacement. Each kill
 * aims at a randomly chosen lifecycle state: it waits (up to a random deadline) for a run in that
 * state owned by a live worker, so kills land across the whole lifecycle, not only where runs
 * spend most of their time. The test and the soak script (`bench/soak-worker-kills.ts`) share it.
 */

const AIMED_STATES = ['preflight', 'baseline', 'injecting', 'observing', 'reverting', 'verifying'];

export interface WorkerKillsOptions {
  stack: LabStack;
  /** One lane per target namespace; a lane runs its scenarios one after another, in turn. */
  lanes: Scenario[][];
  kills: number;
  /** Worker processes alive at any time. */
  workers: number;
  seed: number;
  /** Longest wait for the aimed state before killing whatever worker owns a run. */
  maxAimMs: number;
  onProgress?: (line: string) => void;
}

export interface Kill {
  at: number;
  aimed: string;
  worker: string;
  /** The runs the killed worker owned, with the state each was in just before the kill. */
  runs: Array<{ id: string; state: string }>;
}

export interface WorkerKillsOutcome {
  submitted: string[];
  kills: Kill[];
  records: RunRecord[];
}

interface WorkerProcess {
  id: string;
  process: EntryProcess;
}

export async function runWorkerKills(options: WorkerKillsOptions): Promise<WorkerKillsOutcome> {
  const { stack } = options;
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const queue = new Queue(RUNS_QUEUE, {
    connection: { url: stack.redis.url },
    prefix: QUEUE_PREFIX,
  });
  const submitted: string[] = [];
  const kills: Kill[] = [];
  const live: WorkerProcess[] = [];
  const laneRuns = options.lanes.map(() => undefined as string | undefined);
  const laneTurn = options.lanes.map(() => 0);
  const laneIdleUntil = options.lanes.map(() => 0);
  let spawned = 0;
  let submitting = true;

  const spawn = async (): Promise<void> => {
    const process = startEntryProcess('worker/main.ts', {
      ...stack.env,
      GAMEDAY_WORKER_CONCURRENCY: '4',
      // The 'consuming' line that says the worker is ready is logged at info.
      LOG_LEVEL: 'info',
    });
    spawned += 1;
    const line = await process.waitForLine(/consuming/, 60_000);
    const id = /\(([^)]+)\) consuming/.exec(line)?.[1];
    if (!id) throw new Error(`no worker id in ${line}`);
    live.push({ id, process });
  };

  const activeRecords = async (): Promise<RunRecord[]> => {
    const ids = await stack.store.activeRunIds();
    const records = await Promise.all(ids.map((id) => stack.store.get(id)));
    return records.filter((r): r is RunRecord => r !== undefined && !isFinal(r.state));
  };

  const submitter = (async () => {
    while (submitting) {
      for (const [lane, scenarios] of options.lanes.entries()) {
        const current = laneRuns[lane];
        if (current !== undefined) {
          const record = await stack.store.get(current);
          if (record && !isFinal(record.state)) continue;
          if (record && laneIdleUntil[lane] === 0) {
            // A run that failed (usually its baseline: the last fault's alert still firing) is
            // followed by a longer pause, so the lanes do not spin through failing baselines.
            laneIdleUntil[lane] = Date.now() + (record.state === 'failed' ? 4_000 : 1_000);
          }
          if (Date.now() < laneIdleUntil[lane]!) continue;
        }
        laneIdleUntil[lane] = 0;
        const scenario = scenarios[laneTurn[lane]! % scenarios.length]!;
        laneTurn[lane]! += 1;
        const run = await submitRun(
          { store: stack.store, queue, clock: systemClock },
          { scenario, allowMeshWide: true, createdBy: 'worker-kills' },
        );
        laneRuns[lane] = run.id;
        submitted.push(run.id);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();

  try {
    await Promise.all(Array.from({ length: options.workers }, spawn));
    while (kills.length < options.kills) {
      const aimed = pick(AIMED_STATES);
      const deadline = Date.now() + 500 + random() * options.maxAimMs;
      let victim: WorkerProcess | undefined;
      let owned: RunRecord[] = [];
      while (!victim) {
        const active = await activeRecords();
        const ownedBy = (w: WorkerProcess) => active.filter((r) => r.worker === w.id);
        const inAimedState = live.find((w) => ownedBy(w).some((r) => r.state === aimed));
        const busy = live.filter((w) => ownedBy(w).length > 0);
        if (inAimedState) victim = inAimedState;
        else if (Date.now() >= deadline && live.length > 0)
          victim = busy.length > 0 ? pick(busy) : pick(live);
        else await new Promise((resolve) => setTimeout(resolve, 10));
        if (victim) owned = ownedBy(victim);
      }
      live.splice(live.indexOf(victim), 1);
      victim.process.child.kill('SIGKILL');
      const kill: Kill = {
        at: Date.now(),
        aimed,
        worker: victim.id,
        runs: owned.map((r) => ({ id: r.id, state: r.state })),
      };
      kills.push(kill);
      options.onProgress?.(
        `kill ${kills.length}/${options.kills} (aimed ${aimed}): ${victim.id} holding ${
          kill.runs.map((r) => `${r.id}@${r.state}`).join(', ') || 'nothing'
        }`,
      );
      await victim.process.exited;
      await spawn();
    }
  } finally {
    submitting = false;
    await submitter;
  }

  try {
    // The survivors finish or take over every run still going.
    await waitFor(async () => (await activeRecords()).length === 0, {
      description: 'every run in a final state',
      timeoutMs: 240_000,
      intervalMs: 250,
    });
  } finally {
    await Promise.all(live.map((w) => w.process.kill()));
    await queue.close();
  }
  const records = await Promise.all(submitted.map((id) => stack.store.mustGet(id)));
  options.onProgress?.(
    `${spawned} worker processes, ${submitted.length} runs, ${kills.length} kills`,
  );
  return { submitted, kills, records };
}

/** Every lab object that carries any run's mark: what a reverted fault must not leave. */
export function markedObjects(stack: LabStack): string[] {
  const found: string[] = [];
  for (const resource of RESOURCE_TYPES) {
    for (const object of stack.lab.registry.store.list(resource, undefined)) {
      const meta = object.metadata ?? {};
      const owner = meta.labels?.[RUN_ID_LABEL] ?? meta.annotations?.[PATCHED_BY_ANNOTATION];
      if (owner !== undefined)
        found.push(`${object.kind} ${meta.namespace ?? ''}/${meta.name} (run ${owner})`);
    }
  }
  return found;
}

/** Whether a kill hit a run while its fault could be in the cluster. */
export function killHeldFault(kill: Kill): boolean {
  return kill.runs.some((run) => mayHoldFault(run.state as RunRecord['state']));
}

/** The kinds the faults change, and the part of each a revert must restore exactly. */
const RESTORED: Record<string, (object: Record<string, unknown>) => unknown> = {
  Deployment: (o) => ({ spec: o['spec'], annotations: userAnnotations(o) }),
  Gateway: (o) => ({ spec: o['spec'], annotations: userAnnotations(o) }),
  Secret: (o) => ({ data: o['data'], annotations: userAnnotations(o) }),
  NetworkPolicy: (o) => o['spec'],
  AuthorizationPolicy: (o) => o['spec'],
  MutatingWebhookConfiguration: (o) => o['webhooks'],
};

function userAnnotations(object: Record<string, unknown>): Record<string, string> {
  const meta = object['metadata'] as { annotations?: Record<string, string> } | undefined;
  // The revision annotation is the Deployment controller's, bumped by every rollout.
  return Object.fromEntries(
    Object.entries(meta?.annotations ?? {}).filter(
      ([key]) => key !== 'deployment.kubernetes.io/revision',
    ),
  );
}

/** What the faults may change, by `Kind ns/name`: compare before and after to prove restores. */
export function restorableState(stack: LabStack): Record<string, unknown> {
  const state: Record<string, unknown> = {};
  for (const resource of RESOURCE_TYPES) {
    const shape = RESTORED[resource.kind];
    if (!shape) continue;
    for (const object of stack.lab.registry.store.list(resource, undefined)) {
      const meta = object.metadata ?? {};
      state[`${object.kind} ${meta.namespace ?? ''}/${meta.name}`] = shape(
        object as unknown as Record<string, unknown>,
      );
    }
  }
  return state;
}

/** What a worker-kill trial must never produce; every list is empty when gameday kept its promises. */
export interface KillViolations {
  /** Runs missing from the store, stored but never submitted, or submitted twice. */
  lostOrDuplicated: string[];
  /** Runs not in a final state, or ended `error` (a revert that failed for good). */
  unfinished: string[];
  /** Runs a kill hit that did not end `aborted: worker lost` although still going at the kill. */
  hitNotAborted: string[];
  /** Runs with more than one inject, or an inject after a take-over. */
  injectedTwice: string[];
  /** Journal entries not reverted. */
  unreverted: string[];
  /** Lab objects still carrying a run's mark. */
  marked: string[];
  /** Objects the faults change whose restorable part differs from before the trial. */
  notRestored: string[];
  /** Target locks still held. */
  locks: string[];
}

export async function findViolations(
  stack: LabStack,
  outcome: WorkerKillsOutcome,
  before: Record<string, unknown>,
): Promise<KillViolations> {
  const { store } = stack;
  const submitted = new Set(outcome.submitted);
  const stored = await store.redis.zrange(keys.byTime, 0, -1);
  const lostOrDuplicated = [
    ...outcome.submitted
      .filter((id, i) => outcome.submitted.indexOf(id) !== i)
      .map((id) => `${id} submitted twice`),
    ...outcome.submitted.filter((id) => !stored.includes(id)).map((id) => `${id} lost`),
    ...stored.filter((id) => !submitted.has(id)).map((id) => `${id} never submitted`),
  ];
  const unfinished = outcome.records
    .filter((r) => !isFinal(r.state) || r.state === 'error')
    .map((r) => `${r.id} ${r.state}: ${r.summary ?? ''}`);

  const byId = new Map(outcome.records.map((r) => [r.id, r]));
  const hitNotAborted = outcome.kills.flatMap((kill) =>
    kill.runs
      .map((hit) => byId.get(hit.id)!)
      // A run that ended between the owner check and the kill was not hit.
      .filter((r) => r.stop?.kind !== 'worker lost' && r.updatedAt > kill.at)
      .map((r) => `${r.id}: ${r.state} ${r.stop?.kind ?? ''} ${r.summary ?? ''}`),
  );

  const injectedTwice: string[] = [];
  const unreverted: string[] = [];
  for (const record of outcome.records) {
    const events = await store.events(record.id);
    const injects = events.filter((e) => e.type === 'inject' && e.phase === 'started');
    const takeOver = events.find((e) => e.type === 'stop' && e.reason.kind === 'worker lost');
    if (injects.length > 1 || (takeOver && injects.some((e) => e.at > takeOver.at)))
      injectedTwice.push(`${record.id}: ${injects.length} injects`);
    for (const entry of await store.journalEntries(record.id))
      if (entry.state !== 'reverted')
        unreverted.push(
          `${record.id} ${entry.action} ${entry.target.kind}/${entry.target.name} ${entry.state}`,
        );
  }

  const after = restorableState(stack);
  const notRestored = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (key) => !isDeepStrictEqual(before[key], after[key]),
  );
  return {
    lostOrDuplicated,
    unfinished,
    hitNotAborted,
    injectedTwice,
    unreverted,
    marked: markedObjects(stack),
    notRestored,
    locks: await Promise.all(
      (await store.redis.keys(`${keys.targetLock('', '').slice(0, -1)}*`)).map(async (key) => {
        const holder = (await store.redis.get(key)) ?? '?';
        const record = await store.get(holder).catch(() => undefined);
        return `${key} held by ${holder} (${record?.state ?? 'no record'}, ${record?.summary ?? ''})`;
      }),
    ),
  };
}

/**
 * The lanes of a standard trial — istio-system faults in turn, the catalogue's deny policy in
 * payments and the same aimed at orders — and the restorable state of the settled lab before it.
 */
export async function standardTrial(
  stack: LabStack,
): Promise<{ lanes: Scenario[][]; before: Record<string, unknown> }> {
  const deny = await stack.scenario('bad-deny-policy.yaml');
  await stack.settle(deny);
  const before = restorableState(stack);
  const controlPlane = await Promise.all(
    [
      'istiod-oom.yaml',
      'block-xds-15012.yaml',
      'block-webhook-15017.yaml',
      'gateway-cert-expiry.yaml',
    ].map((file) => stack.scenario(file)),
  );
  const moved = JSON.parse(JSON.stringify(deny).replaceAll('payments', 'orders')) as Scenario;
  const inOrders = {
    ...moved,
    metadata: { ...moved.metadata, name: `${deny.metadata.name}-orders` },
  };
  return { lanes: [controlPlane, [deny], [inOrders]], before };
}
