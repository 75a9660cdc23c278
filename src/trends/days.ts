/**
 * Day summaries: for each scenario and UTC day, the day's entries grouped by outcome (counts,
 * sums, and the times to detect / recover, needed for exact percentiles). A trend query over a
 * year reads ~365 summaries per scenario instead of every run, so it stays fast with 100k runs.
 *
 * Summaries are derived data: a Lua script rebuilds a day's summary from its entries, in the
 * same MULTI that writes an entry, so they never drift from the entries. They hold no policy:
 * which outcomes count, and how rates are computed, stay in aggregate.ts. UTC days nest in both
 * ISO weeks and calendar months, so every summary falls in exactly one bucket.
 */
import type { FinalState } from '../run/lifecycle.js';
import { OUTCOME_CODES } from './entry.js';

export const DAY_MS = 86_400_000;
const SUMMARY_VERSION = 1;

/** Figures of one outcome over a set of entries (no policy applied). */
export interface OutcomeFigures {
  runs: number;
  /** Entries with detected true / false (null ones are in neither). */
  detected: number;
  undetected: number;
  pass: number;
  fail: number;
  inconclusive: number;
  met: number;
  judged: number;
  /** Times to detect of detected entries, seconds, in no particular order. */
  ttd: number[];
  /** Times to recover of entries that recovered, seconds. */
  ttr: number[];
}

export interface DaySummary {
  scenario: string;
  /** Days since the epoch (UTC): the day is [day·86400000, (day+1)·86400000). */
  day: number;
  outcomes: Partial<Record<FinalState, OutcomeFigures>>;
}

/** The UTC day (days since the epoch) of a time in ms. */
export const dayOf = (at: number): number => Math.floor(at / DAY_MS);

/**
 * Rebuilds day summaries from entries. KEYS: runs sorted set, entries hash, days hash. ARGV:
 * triples of (day field, day start ms, day end ms exclusive). The entries are parsed by splitting
 * on commas (their numbers are copied as text, never re-rounded by Lua); see entry.ts for the
 * layout `[1,at,outcome,detected,ttd,ttr,met,total,verdict]`.
 */
export const REBUILD_DAYS_SCRIPT = `
local function split(text)
  local out = {}
  for token in string.gmatch(string.sub(text, 2, -2), '[^,]+') do out[#out + 1] = token end
  return out
end
for a = 1, #ARGV, 3 do
  local field = ARGV[a]
  local ids = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[a + 1], '(' .. ARGV[a + 2])
  if #ids == 0 then
    redis.call('HDEL', KEYS[3], field)
  else
    local groups = {}
    for o = 1, ${OUTCOME_CODES.length} do groups[o] = {0, 0, 0, 0, 0, 0, 0, 0, {}, {}} end
    for i = 1, #ids, 1000 do
      local last = math.min(i + 999, #ids)
      local texts = redis.call('HMGET', KEYS[2], unpack(ids, i, last))
      for j = 1, last - i + 1 do
        local text = texts[j]
        if text then
          local f = split(text)
          local g = nil
          if f[1] == '1' and #f >= 9 then g = groups[(tonumber(f[3]) or -1) + 1] end
          if g then
            g[1] = g[1] + 1
            if f[4] == '1' then
              g[2] = g[2] + 1
              if f[5] ~= 'null' then table.insert(g[9], f[5]) end
            elseif f[4] == '0' then
              g[3] = g[3] + 1
            end
            if f[9] == '0' then g[4] = g[4] + 1
            elseif f[9] == '1' then g[5] = g[5] + 1
            elseif f[9] == '2' then g[6] = g[6] + 1 end
            g[7] = g[7] + (tonumber(f[7]) or 0)
            g[8] = g[8] + (tonumber(f[8]) or 0)
            if f[6] ~= 'null' then table.insert(g[10], f[6]) end
          end
        end
      end
    end
    local parts = {}
    for o = 1, ${OUTCOME_CODES.length} do
      local g = groups[o]
      parts[o] = '[' .. table.concat({g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8]}, ',') ..
        ',[' .. table.concat(g[9], ',') .. '],[' .. table.concat(g[10], ',') .. ']]'
    end
    redis.call('HSET', KEYS[3], field, '[${SUMMARY_VERSION},' .. table.concat(parts, ',') .. ']')
  end
end
return 1`;

/** ARGV for {@link REBUILD_DAYS_SCRIPT}: the given days. */
export function rebuildArgs(days: Iterable<number>): string[] {
  const args: string[] = [];
  for (const day of days) args.push(String(day), String(day * DAY_MS), String((day + 1) * DAY_MS));
  return args;
}

/** Reads a stored summary; undefined for text it cannot read (corrupt, or a newer layout). */
export function decodeDaySummary(
  scenario: string,
  day: number,
  text: string,
): DaySummary | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return fromJson(scenario, day, value);
}

// Checked for shape, not element by element: the times are our own Lua's verbatim copies of
// numbers from entries we wrote, and checking each would cost more than the parse.
function fromJson(scenario: string, day: number, value: unknown): DaySummary | undefined {
  if (!Array.isArray(value) || value[0] !== SUMMARY_VERSION) return undefined;
  const outcomes: DaySummary['outcomes'] = {};
  for (let o = 0; o < OUTCOME_CODES.length; o++) {
    const g: unknown = value[o + 1];
    if (!Array.isArray(g) || g.length < 10) return undefined;
    const runs: unknown = g[0];
    if (typeof runs !== 'number') return undefined;
    if (runs === 0) continue;
    const [ttd, ttr] = [g[8] as unknown, g[9] as unknown];
    if (!Array.isArray(ttd) || !Array.isArray(ttr)) return undefined;
    const figures: OutcomeFigures = {
      runs,
      detected: count(g[1]),
      undetected: count(g[2]),
      pass: count(g[3]),
      fail: count(g[4]),
      inconclusive: count(g[5]),
      met: count(g[6]),
      judged: count(g[7]),
      ttd: ttd as number[],
      ttr: ttr as number[],
    };
    outcomes[OUTCOME_CODES[o]!] = figures;
  }
  return { scenario, day, outcomes };
}

const count = (value: unknown): number => (typeof value === 'number' ? value : 0);
