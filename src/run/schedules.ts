import type { Queue } from 'bullmq';
import cronParser from 'cron-parser';
import type { Schedule } from '../scenario/primitives.js';
import type { Clock } from '../measure/types.js';
import type { Catalogue } from '../scenario/directory-catalogue.js';
import { resolveGameDay, submitGameDay, UnknownScenario } from './gameday.js';
import type { RunOverrides } from './overrides.js';
import type { RunStore } from './store.js';
import { Halted, InvalidOverrides, submitRun } from './submit.js';

export const SCHEDULED_JOB = 'scheduled';

/** What a schedule starts each time it fires: a catalogue scenario or GameDay, by name. */
export interface ScheduleTarget {
  kind: 'scenario' | 'gameday';
  name: string;
  overrides?: RunOverrides;
  allowMeshWide: boolean;
  dryRun: boolean;
  /** Who created the schedule; the runs it starts are created by `schedule:<id>`. */
  createdBy: string;
}

export interface ScheduleInfo extends ScheduleTarget {
  id: string;
  schedule: Schedule;
  /** The next fire times, ISO 8601 UTC. */
  next: string[];
}

/**
 * Cron GameDays (SPEC §3, §8) on BullMQ job schedulers: the scheduler holds the cron and time
 * zone and adds a `scheduled` job at each fire time; a worker turns it into a run of the named
 * scenario as it is in the catalogue then. Upserting by id makes create and update one operation.
 */
export class Schedules {
  constructor(private readonly queue: Queue) {}

  async upsert(id: string, schedule: Schedule, target: ScheduleTarget): Promise<ScheduleInfo> {
    await this.queue.upsertJobScheduler(
      id,
      { pattern: schedule.cron, tz: schedule.timezone },
      { name: SCHEDULED_JOB, data: { scheduleId: id, ...target } },
    );
    return { id, schedule, ...target, next: nextTimes(schedule, 3) };
  }

  async list(): Promise<ScheduleInfo[]> {
    const schedulers = await this.queue.getJobSchedulers(0, -1, true);
    return schedulers.flatMap((s) => {
      const data = s.template?.data as (ScheduleTarget & { scheduleId: string }) | undefined;
      if (!data || s.pattern === undefined) return [];
      const schedule = { cron: s.pattern, timezone: s.tz ?? 'UTC' };
      const { scheduleId: _id, ...target } = data;
      return [{ id: s.key, schedule, ...target, next: nextTimes(schedule, 3) }];
    });
  }

  async get(id: string): Promise<ScheduleInfo | undefined> {
    return (await this.list()).find((s) => s.id === id);
  }

  async remove(id: string): Promise<boolean> {
    return this.queue.removeJobScheduler(id);
  }
}

/** The next `count` fire times of a schedule, in its time zone, as ISO 8601 UTC. */
export function nextTimes(schedule: Schedule, count: number, from = new Date()): string[] {
  const expression = cronParser.parseExpression(schedule.cron, {
    tz: schedule.timezone,
    currentDate: from,
  });
  return Array.from({ length: count }, () => expression.next().toDate().toISOString());
}

/** What a fired schedule did. */
export type ScheduledOutcome =
  { kind: 'started'; runId?: string; gameDayId?: string } | { kind: 'skipped'; reason: string };

/**
 * Starts what a fired schedule names, from the catalogue as it is now. A schedule whose scenario
 * left the catalogue, or that fires while the kill switch is engaged, is skipped with the reason
 * (logged by the caller) rather than retried: the next fire time is the next chance.
 */
export async function startScheduled(
  deps: { store: RunStore; queue: Queue; clock: Clock; catalogue: () => Promise<Catalogue> },
  data: ScheduleTarget & { scheduleId: string },
): Promise<ScheduledOutcome> {
  const catalogue = await deps.catalogue();
  const createdBy = `schedule:${data.scheduleId}`;
  try {
    if (data.kind === 'scenario') {
      const scenario = catalogue.scenarios.get(data.name);
      if (!scenario)
        return { kind: 'skipped', reason: `no scenario named ${data.name} in the catalogue` };
      const run = await submitRun(deps, {
        scenario,
        ...(data.overrides !== undefined && { overrides: data.overrides }),
        allowMeshWide: data.allowMeshWide,
        dryRun: data.dryRun,
        createdBy,
      });
      return { kind: 'started', runId: run.id };
    }
    const gameDay = catalogue.gameDays.get(data.name);
    if (!gameDay)
      return { kind: 'skipped', reason: `no GameDay named ${data.name} in the catalogue` };
    const parent = await submitGameDay(deps, {
      gameDay,
      scenarios: resolveGameDay(gameDay, catalogue.scenarios),
      allowMeshWide: data.allowMeshWide,
      dryRun: data.dryRun,
      createdBy,
    });
    return { kind: 'started', gameDayId: parent.id };
  } catch (err) {
    if (
      err instanceof Halted ||
      err instanceof InvalidOverrides ||
      err instanceof UnknownScenario
    ) {
      return { kind: 'skipped', reason: err.message };
    }
    throw err;
  }
}
