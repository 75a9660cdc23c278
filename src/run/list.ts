import type { RunState } from './lifecycle.js';
import { keys } from './keys.js';
import type { RunStore } from './store.js';
import type { RunRecord } from './types.js';

export interface RunFilter {
  scenario?: string;
  states?: readonly RunState[];
  /** Created at or after (ms). */
  from?: number;
  /** Created before (ms). */
  to?: number;
}

/** Where a page ended: the last run's creation time and id (runs are listed newest first). */
export interface RunCursor {
  t: number;
  id: string;
}

export function encodeCursor(cursor: RunCursor): string {
  return Buffer.from(JSON.stringify([cursor.t, cursor.id])).toString('base64url');
}

export function decodeCursor(text: string): RunCursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      Number.isSafeInteger(value[0]) &&
      typeof value[1] === 'string'
    ) {
      return { t: value[0] as number, id: value[1] };
    }
  } catch {
    // fall through: not a cursor this API issued
  }
  return undefined;
}

/**
 * A page of runs, newest first, from the time index (all runs, or one scenario's). The order
 * (creation time, then id, both descending) is total, so pages are stable while runs are added:
 * a new run appears on the first page, never shifts later ones.
 */
export async function listRuns(
  store: RunStore,
  filter: RunFilter,
  page: { limit: number; after?: RunCursor },
): Promise<{ items: RunRecord[]; next?: RunCursor }> {
  const key = filter.scenario === undefined ? keys.byTime : keys.byScenario(filter.scenario);
  const min = filter.from !== undefined ? String(filter.from) : '-inf';
  const top = filter.to !== undefined ? `(${filter.to}` : '+inf';
  const batch = Math.max(page.limit * 2, 50);
  const items: RunRecord[] = [];
  let cursor = page.after;
  let skip = 0;
  for (;;) {
    const max = cursor ? String(Math.min(cursor.t, filter.to ?? Infinity)) : top;
    const flat = await store.redis.zrange(
      key,
      max,
      min,
      'BYSCORE',
      'REV',
      'LIMIT',
      skip,
      batch,
      'WITHSCORES',
    );
    if (flat.length === 0) return { items };
    const seen: RunCursor[] = [];
    for (let i = 0; i < flat.length; i += 2) seen.push({ id: flat[i]!, t: Number(flat[i + 1]) });
    // Same-millisecond runs come back by id, descending: drop those at or before the cursor.
    const fresh = seen.filter(
      (p) =>
        (filter.to === undefined || p.t < filter.to) &&
        (!cursor || p.t < cursor.t || p.id < cursor.id),
    );
    const texts = fresh.length > 0 ? await store.redis.mget(fresh.map((p) => keys.run(p.id))) : [];
    for (const [index, text] of texts.entries()) {
      if (text === null) continue;
      const record = JSON.parse(text) as RunRecord;
      if (filter.states && !filter.states.includes(record.state)) continue;
      items.push(record);
      if (items.length === page.limit) return { items, next: fresh[index]! };
    }
    if (seen.length < batch) return { items };
    const last = seen[seen.length - 1]!;
    // A batch made only of one millisecond's runs: page through that millisecond by offset.
    skip = fresh.length === 0 && cursor && last.t === cursor.t ? skip + batch : 0;
    cursor = last;
  }
}
