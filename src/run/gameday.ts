import type { Queue } from 'bullmq';
import type { Clock } from '../measure/types.js';
import type { GameDay, Scenario } from '../scenario/schema.js';
import { durationMs } from '../scenario/primitives.js';
import { isFinal, type FinalState } from './lifecycle.js';
import { keys } from './keys.js';
import type { RunStore } from './store.js';
import { Halted, newRunId as newId, submitRun } from './submit.js';
import type { Actor, RunRecord } from './types.js';

export const GAMEDAY_SCHEMA_VERSION = 1;
export const GAMEDAY_JOB = 'gameday';

/** One scenario's outcome within a GameDay. */
export interface GameDayRunSummary {
  runId: string;
  scenario: string;
  state: FinalState;
  timeToDetect: number | null;
  timeToRecover: number | null;
  verdict: string;
  summary: string;
}

/** A GameDay (SPEC §3): its scenarios run in order as child runs of this one parent record. */
export interface GameDayRecord {
  schemaVersion: typeof GAMEDAY_SCHEMA_VERSION;
  id: string;
  kind: 'GameDay';
  /** The GameDay as submitted; `scenarios` holds every entry resolved to a full Scenario. */
  gameDay: Pick<GameDay, 'metadata'> & { participants: GameDay['spec']['participants'] };
  scenarios: Scenario[];
  pauseBetweenMs: number;
  options: { allowMeshWide: boolean; dryRun: boolean };
  createdBy: Actor;
  createdAt: number;
  updatedAt: number;
  state: 'running' | FinalState;
  /** Child run ids, in order; the last one may still be running. */
  children: string[];
  /** Why it stopped early. */
  stop?: string;
  /** Filled in when it ends: one line per scenario and the combined verdict. */
  result?: { runs: GameDayRunSummary[]; verdict: 'pass' | 'fail' | 'inconclusive' };
}

/** A GameDay entry names a scenario the catalogue does not have. */
export class UnknownScenario extends Error {
  override name = 'UnknownScenario';
  readonly retryable = false;
}

/** Every entry of the GameDay as a Scenario: inline ones as written, names from the catalogue. */
export function resolveGameDay(
  gameDay: GameDay,
  catalogue: ReadonlyMap<string, Scenario>,
): Scenario[] {
  return gameDay.spec.scenarios.map((entry, index) => {
    if (typeof entry !== 'string') return entry;
    const scenario = catalogue.get(entry);
    if (!scenario) {
      throw new UnknownScenario(
        `scenarios[${index}]: no scenario named '${entry}' in the catalogue`,
      );
    }
    return scenario;
  });
}

export class GameDayStore {
  constructor(private readonly store: RunStore) {}

  async get(id: string): Promise<GameDayRecord | undefined> {
    const text = await this.store.redis.get(keys.gameDay(id));
    return text === null ? undefined : (JSON.parse(text) as GameDayRecord);
  }

  async save(record: GameDayRecord): Promise<void> {
    await this.store.redis.set(keys.gameDay(record.id), JSON.stringify(record));
  }

  /** The newest GameDay runs first. */
  async list(limit: number): Promise<GameDayRecord[]> {
    const ids = await this.store.redis.zrevrange(keys.gameDaysByTime, 0, limit - 1);
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return records.filter((r): r is GameDayRecord => r !== undefined);
  }
}

export async function submitGameDay(
  deps: { store: RunStore; queue: Queue; clock: Clock },
  request: {
    gameDay: GameDay;
    scenarios: Scenario[];
    allowMeshWide?: boolean;
    dryRun?: boolean;
    createdBy: Actor;
  },
): Promise<GameDayRecord> {
  const halt = await deps.store.haltState();
  if (halt)
    throw new Halted(
      `the kill switch is engaged (by ${halt.by}: ${halt.reason}); release it first`,
    );
  const now = deps.clock.now();
  const record: GameDayRecord = {
    schemaVersion: GAMEDAY_SCHEMA_VERSION,
    id: `gd-${newId(now)}`,
    kind: 'GameDay',
    gameDay: {
      metadata: request.gameDay.metadata,
      participants: request.gameDay.spec.participants,
    },
    scenarios: request.scenarios,
    pauseBetweenMs: durationMs(request.gameDay.spec.pauseBetween),
    options: { allowMeshWide: request.allowMeshWide ?? false, dryRun: request.dryRun ?? false },
    createdBy: request.createdBy,
    createdAt: now,
    updatedAt: now,
    state: 'running',
    children: [],
  };
  await new GameDayStore(deps.store).save(record);
  await deps.store.redis.zadd(keys.gameDaysByTime, now, record.id);
  await deps.queue.add(
    GAMEDAY_JOB,
    { gameDayId: record.id },
    {
      jobId: record.id,
      removeOnComplete: { age: 7 * 24 * 3600 },
      removeOnFail: { age: 30 * 24 * 3600 },
    },
  );
  return record;
}

export type GameDayStep = { kind: 'done' } | { kind: 'wait'; untilMs: number };

/**
 * Advances a GameDay by one step and says when to look again. Each step is short and works from
 * the stored records alone, so a worker that dies between steps loses nothing: the job is retried
 * (BullMQ stalled jobs) and the step repeated. The next child starts once the previous one ended
 * and the pause has passed; a halt (or a child stopped by one) ends the GameDay.
 */
export async function stepGameDay(
  deps: { store: RunStore; queue: Queue; clock: Clock },
  id: string,
): Promise<GameDayStep> {
  const gameDays = new GameDayStore(deps.store);
  const record = await gameDays.get(id);
  if (!record || record.state !== 'running') return { kind: 'done' };
  const now = deps.clock.now();
  const lastId = record.children.at(-1);
  const last = lastId === undefined ? undefined : await deps.store.get(lastId);
  if (last && !isFinal(last.state)) return { kind: 'wait', untilMs: now + 1_000 };

  const halt = await deps.store.haltState();
  const haltedChild = last?.stop?.kind === 'halt';
  if (halt || haltedChild) {
    record.stop = halt
      ? `kill switch engaged by ${halt.by}: ${halt.reason}`
      : `run ${last!.id} was stopped by the kill switch`;
    await finishGameDay(deps.store, record, 'aborted', now);
    return { kind: 'done' };
  }
  if (record.children.length === record.scenarios.length) {
    await finishGameDay(deps.store, record, 'completed', now);
    return { kind: 'done' };
  }
  if (last && now < last.updatedAt + record.pauseBetweenMs) {
    return { kind: 'wait', untilMs: last.updatedAt + record.pauseBetweenMs };
  }
  const index = record.children.length;
  const child = await submitRun(deps, {
    scenario: record.scenarios[index]!,
    allowMeshWide: record.options.allowMeshWide,
    dryRun: record.options.dryRun,
    createdBy: record.createdBy,
    parentId: record.id,
    id: `${record.id}-${index + 1}`,
  });
  record.children.push(child.id);
  record.updatedAt = now;
  await gameDays.save(record);
  return { kind: 'wait', untilMs: now + 1_000 };
}

async function finishGameDay(
  store: RunStore,
  record: GameDayRecord,
  state: FinalState,
  now: number,
): Promise<void> {
  const runs: GameDayRunSummary[] = [];
  for (const id of record.children) {
    const run: RunRecord | undefined = await store.get(id);
    if (!run || !isFinal(run.state)) continue;
    runs.push({
      runId: id,
      scenario: run.scenario.metadata.name,
      state: run.state,
      timeToDetect: run.result.timeToDetect ?? null,
      timeToRecover: run.result.timeToRecover ?? null,
      verdict: run.result.verdict?.outcome ?? 'inconclusive',
      summary: run.summary ?? '',
    });
  }
  const verdicts = new Set(runs.map((r) => (r.state === 'completed' ? r.verdict : 'inconclusive')));
  const complete = state === 'completed' && runs.length === record.scenarios.length;
  record.result = {
    runs,
    verdict: verdicts.has('fail')
      ? 'fail'
      : verdicts.has('inconclusive') || !complete
        ? 'inconclusive'
        : 'pass',
  };
  record.state = state;
  record.updatedAt = now;
  await new GameDayStore(store).save(record);
}
