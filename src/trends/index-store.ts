/**
 * The trend index in Redis: each finished run's compact {@link TrendEntry}, per scenario, so a
 * trend query reads a few bytes per run and never a run record.
 *
 * - `gameday:v1:trends:runs:<scenario>`: sorted set, member run id, score `createdAt` (ms).
 * - `gameday:v1:trends:entries:<scenario>`: hash, run id → encoded entry (see entry.ts).
 * - `gameday:v1:trends:scenarios`: set of every scenario with an entry.
 * - `gameday:v1:trends:days:<scenario>`: hash, UTC day number → day summary (see days.ts),
 *   rebuilt from the entries in the same MULTI that writes them.
 *
 * A query reads the day summaries of the whole days in its range and the entries of the partial
 * days at its ends: one round trip for both, one more for the partial days' entries.
 *
 * The index is kept apart from run records and outlives their retention on purpose: trends
 * over a year stay available after old records are deleted. A run's `createdAt` never changes,
 * so re-recording a run touches the same day.
 */
import type { ChainableCommander } from 'ioredis';
import type { Redis } from '../redis.js';
import type { RunRecord } from '../run/types.js';
import { aggregate, periodsBetween, TrendRangeError } from './aggregate.js';
import {
  DAY_MS,
  dayOf,
  decodeDaySummary,
  REBUILD_DAYS_SCRIPT,
  rebuildArgs,
  type DaySummary,
} from './days.js';
import { decodeEntry, encodeEntry, trendEntry, type TrendEntry } from './entry.js';
import type { TrendBucket, TrendsResult } from './schema.js';

const PREFIX = 'gameday:v1:trends';

export const trendKeys = {
  runs: (scenario: string) => `${PREFIX}:runs:${scenario}`,
  entries: (scenario: string) => `${PREFIX}:entries:${scenario}`,
  days: (scenario: string) => `${PREFIX}:days:${scenario}`,
  scenarios: `${PREFIX}:scenarios`,
} as const;

/** Fields per HMGET: large enough to amortise round trips, small enough not to stall Redis. */
const HMGET_CHUNK = 1_000;

export interface TrendQuery {
  /** Scenario names; every scenario in the index when absent. */
  scenarios?: readonly string[];
  /** ms since the epoch, inclusive. */
  from: number;
  /** ms since the epoch, exclusive. */
  to: number;
  bucket: TrendBucket;
  /** Periods are cut in UTC; other zones are not supported. */
  timezone?: 'UTC';
}

/** A time range [from, to) of one scenario. */
interface ScenarioRange {
  scenario: string;
  from: number;
  to: number;
}

function chunks<T>(items: readonly T[], size = HMGET_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function results(replies: [Error | null, unknown][] | null): unknown[] {
  if (replies === null) throw new Error('redis transaction was discarded');
  return replies.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}

export class TrendIndex {
  constructor(readonly redis: Redis) {}

  /**
   * Adds a finished run to the index; idempotent (recording again overwrites the same entry).
   * Returns the entry, or undefined when the run does not belong in trends (not final, dry run).
   */
  async record(record: RunRecord): Promise<TrendEntry | undefined> {
    const entry = trendEntry(record);
    if (entry === undefined) return undefined;
    await this.recordEntries([entry]);
    return entry;
  }

  /**
   * Adds entries and rebuilds the summaries of their days, all in one MULTI (a backfill writes
   * them in batches). Idempotent.
   */
  async recordEntries(entries: readonly TrendEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const multi = this.redis.multi();
    const days = new Map<string, Set<number>>();
    for (const entry of entries) {
      multi.zadd(trendKeys.runs(entry.scenario), entry.at, entry.runId);
      multi.hset(trendKeys.entries(entry.scenario), entry.runId, encodeEntry(entry));
      let touched = days.get(entry.scenario);
      if (!touched) days.set(entry.scenario, (touched = new Set()));
      touched.add(dayOf(entry.at));
    }
    multi.sadd(trendKeys.scenarios, ...days.keys());
    for (const [scenario, touched] of days) this.#rebuild(multi, scenario, touched);
    results(await multi.exec());
  }

  /**
   * Rebuilds every day summary of the given scenarios (all when absent) from their entries:
   * after restoring entries by other means, or to move to a new summary layout.
   */
  async rebuildDays(scenarios?: readonly string[]): Promise<void> {
    for (const scenario of scenarios ?? (await this.scenarios())) {
      const scores = await this.redis.zrange(trendKeys.runs(scenario), 0, -1, 'WITHSCORES');
      const days = new Set<number>();
      for (let i = 1; i < scores.length; i += 2) days.add(dayOf(Number(scores[i])));
      const multi = this.redis.multi().del(trendKeys.days(scenario));
      for (const chunk of chunks([...days], 100)) this.#rebuild(multi, scenario, chunk);
      results(await multi.exec());
    }
  }

  #rebuild(multi: ChainableCommander, scenario: string, days: Iterable<number>): void {
    const keys = [trendKeys.runs(scenario), trendKeys.entries(scenario), trendKeys.days(scenario)];
    multi.eval(REBUILD_DAYS_SCRIPT, keys.length, ...keys, ...rebuildArgs(days));
  }

  /** Every scenario with an entry, sorted. */
  async scenarios(): Promise<string[]> {
    return (await this.redis.smembers(trendKeys.scenarios)).sort();
  }

  /** The entries of runs created in [from, to), of the given scenarios (all when absent). */
  async entries(query: Omit<TrendQuery, 'bucket'>): Promise<TrendEntry[]> {
    const scenarios = [...new Set(query.scenarios ?? (await this.scenarios()))];
    return this.#entriesIn(scenarios.map((scenario) => ({ scenario, ...query })));
  }

  /** Entries in the ranges: one round trip for the run ids, one for their entries. */
  async #entriesIn(ranges: readonly ScenarioRange[]): Promise<TrendEntry[]> {
    if (ranges.length === 0) return [];
    const lookup = this.redis.pipeline();
    for (const { scenario, from, to } of ranges) {
      lookup.zrangebyscore(trendKeys.runs(scenario), from, `(${to}`);
    }
    const ids = results(await lookup.exec()) as string[][];

    const reads: Array<{ scenario: string; ids: string[] }> = [];
    const read = this.redis.pipeline();
    ranges.forEach(({ scenario }, i) => {
      for (const chunk of chunks(ids[i]!)) {
        reads.push({ scenario, ids: chunk });
        read.hmget(trendKeys.entries(scenario), ...chunk);
      }
    });
    if (reads.length === 0) return [];
    const values = results(await read.exec()) as Array<Array<string | null>>;

    const entries: TrendEntry[] = [];
    reads.forEach(({ scenario, ids: chunk }, i) => {
      const texts = values[i]!;
      for (let j = 0; j < chunk.length; j++) {
        const text = texts[j];
        // A missing or unreadable entry (a newer layout, a half-finished cleanup) is skipped.
        const entry = text == null ? undefined : decodeEntry(chunk[j]!, scenario, text);
        if (entry) entries.push(entry);
      }
    });
    return entries;
  }

  /**
   * Summaries of the days [firstDay, endDay) of the scenarios, in one round trip. Days whose
   * summary cannot be read come back as ranges, to read from the entries instead.
   */
  async #daySummaries(
    scenarios: readonly string[],
    firstDay: number,
    endDay: number,
  ): Promise<{ summaries: DaySummary[]; unreadable: ScenarioRange[] }> {
    const summaries: DaySummary[] = [];
    const unreadable: ScenarioRange[] = [];
    if (endDay <= firstDay || scenarios.length === 0) return { summaries, unreadable };
    const days = Array.from({ length: endDay - firstDay }, (_, i) => firstDay + i);
    const fields = chunks(days);
    const read = this.redis.pipeline();
    for (const scenario of scenarios) {
      for (const chunk of fields) read.hmget(trendKeys.days(scenario), ...chunk.map(String));
    }
    const values = results(await read.exec()) as Array<Array<string | null>>;
    let reply = 0;
    for (const scenario of scenarios) {
      for (const chunk of fields) {
        const texts = values[reply++]!;
        chunk.forEach((day, j) => {
          const text = texts[j];
          if (text == null) return; // no run that day
          const summary = decodeDaySummary(scenario, day, text);
          if (summary) summaries.push(summary);
          else unreadable.push({ scenario, from: day * DAY_MS, to: (day + 1) * DAY_MS });
        });
      }
    }
    return { summaries, unreadable };
  }

  /** Trends by scenario and period (see aggregate.ts for what each figure means). */
  async query(query: TrendQuery): Promise<TrendsResult> {
    if (query.timezone !== undefined && query.timezone !== 'UTC') {
      throw new TrendRangeError(`unsupported time zone ${String(query.timezone)}: only UTC`);
    }
    const { from, to, bucket } = query;
    // Refuse a bad range before touching Redis.
    periodsBetween(from, to, bucket);
    const scenarios = query.scenarios ? [...new Set(query.scenarios)] : await this.scenarios();

    // Whole days come from their summaries; the partial days at either end from their entries.
    const firstDay = Math.ceil(from / DAY_MS);
    const endDay = Math.floor(to / DAY_MS);
    const edges: Array<[number, number]> = [];
    if (endDay <= firstDay) edges.push([from, to]);
    else {
      if (from < firstDay * DAY_MS) edges.push([from, firstDay * DAY_MS]);
      if (endDay * DAY_MS < to) edges.push([endDay * DAY_MS, to]);
    }
    const edgeRanges = scenarios.flatMap((scenario) =>
      edges.map(([start, end]) => ({ scenario, from: start, to: end })),
    );
    const [days, entries] = await Promise.all([
      this.#daySummaries(scenarios, firstDay, endDay),
      this.#entriesIn(edgeRanges),
    ]);
    if (days.unreadable.length > 0) entries.push(...(await this.#entriesIn(days.unreadable)));
    return aggregate(entries, { from, to, bucket, scenarios }, days.summaries);
  }
}
