import { failpoint } from '../failpoints.js';
import type { JournalEntry } from '../faults/journal.js';
import type { AlertObservation, SignalSample, TrafficSample } from '../measure/types.js';
import type { Redis } from '../redis.js';
import { isFinal } from './lifecycle.js';
import { keys } from './keys.js';
import {
  RUN_SCHEMA_VERSION,
  type Actor,
  type ResponderEventType,
  type RunRecord,
  type TimelineEvent,
} from './types.js';

/** A stored record written by a newer gameday than this one: refuse rather than misread it. */
export class UnsupportedRecord extends Error {
  override name = 'UnsupportedRecord';
  readonly retryable = false;
}

/** The worker no longer holds the run's lease: another worker owns it now; stop touching it. */
export class LeaseLost extends Error {
  override name = 'LeaseLost';
  readonly retryable = false;
}

export interface HaltState {
  by: Actor;
  reason: string;
  at: number;
}

export interface AbortRequest {
  by: Actor;
  reason: string;
  at: number;
}

export interface SignalSampleRecord extends SignalSample {
  name: string;
}

// Writes by the lease holder only: a worker that lost its lease (it stalled, another worker
// took the run over) cannot overwrite the record or journal a change it is about to make.
const SET_IF_LEASED = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
return 1`;
const HSET_IF_LEASED = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1`;
const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])`;
// The target lock, taken only by the run's lease holder: a worker that stalled while another
// worker ran the run to its end must not lock the target for a run that is already over.
// Returns 1 when the run holds the lock, 0 when the lease is gone, else the current holder.
const LOCK_IF_LEASED = `
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return 0 end
local holder = redis.call('GET', KEYS[1])
if not holder then
  redis.call('SET', KEYS[1], ARGV[1])
  return 1
end
if holder == ARGV[1] then return 1 end
return holder`;
const DELETE_IF_VALUE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])`;

/**
 * Durable run state in Redis (SPEC §2: nothing lives only in a worker's memory): the run
 * record, its fault journal, timeline, samples, lease, abort requests, per-target locks and the
 * global halt flag.
 */
export class RunStore {
  constructor(readonly redis: Redis) {}

  // ---- records ----

  async create(record: RunRecord): Promise<void> {
    const created = await this.redis
      .multi()
      .set(keys.run(record.id), JSON.stringify(record), 'NX')
      .sadd(keys.active, record.id)
      .zadd(keys.byTime, record.createdAt, record.id)
      .zadd(keys.byScenario(record.scenario.metadata.name), record.createdAt, record.id)
      .exec();
    if (created?.[0]?.[1] !== 'OK') throw new Error(`run ${record.id} already exists`);
  }

  async get(id: string): Promise<RunRecord | undefined> {
    const text = await this.redis.get(keys.run(id));
    if (text === null) return undefined;
    const record = JSON.parse(text) as RunRecord;
    if (record.schemaVersion !== RUN_SCHEMA_VERSION) {
      throw new UnsupportedRecord(
        `run ${id} is stored with schema version ${String(record.schemaVersion)}; this gameday reads version ${RUN_SCHEMA_VERSION}`,
      );
    }
    return record;
  }

  async mustGet(id: string): Promise<RunRecord> {
    const record = await this.get(id);
    if (!record) throw new Error(`run ${id} does not exist`);
    return record;
  }

  /** Saves the record if `worker` still holds the lease; a final record leaves the active set. */
  async save(record: RunRecord, worker: string): Promise<void> {
    const saved = await this.redis.eval(
      SET_IF_LEASED,
      2,
      keys.lease(record.id),
      keys.run(record.id),
      worker,
      JSON.stringify(record),
    );
    if (saved !== 1) throw new LeaseLost(`worker ${worker} no longer holds run ${record.id}`);
    if (isFinal(record.state)) {
      failpoint('run.final');
      await this.retire(record);
    }
  }

  /**
   * A final run leaves the active set and lets go of its target, together. A worker killed
   * between saving the final record and this leaves both behind; the sweeper then calls it.
   */
  async retire(record: Pick<RunRecord, 'id' | 'target'>): Promise<void> {
    await this.redis
      .multi()
      .srem(keys.active, record.id)
      .eval(
        DELETE_IF_VALUE,
        1,
        keys.targetLock(record.target.context, record.target.namespace),
        record.id,
      )
      .exec();
  }

  async activeRunIds(): Promise<string[]> {
    return this.redis.smembers(keys.active);
  }

  // ---- journal ----

  async journalRecord(runId: string, worker: string, entry: JournalEntry): Promise<void> {
    const saved = await this.redis.eval(
      HSET_IF_LEASED,
      2,
      keys.lease(runId),
      keys.journal(runId),
      worker,
      entry.step,
      JSON.stringify(entry),
    );
    if (saved !== 1) {
      throw new LeaseLost(
        `worker ${worker} no longer holds run ${runId}; not journaling (nor making) change ${entry.step}`,
      );
    }
  }

  async journalEntries(runId: string): Promise<JournalEntry[]> {
    const all = await this.redis.hgetall(keys.journal(runId));
    return Object.values(all)
      .map((text) => JSON.parse(text) as JournalEntry)
      .sort((a, b) => a.at.localeCompare(b.at));
  }

  // ---- timeline and samples ----

  async appendEvents(runId: string, events: TimelineEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.redis.rpush(keys.events(runId), ...events.map((e) => JSON.stringify(e)));
  }

  async events(runId: string): Promise<TimelineEvent[]> {
    const list = await this.redis.lrange(keys.events(runId), 0, -1);
    return list.map((text) => JSON.parse(text) as TimelineEvent);
  }

  async addResponderEvent(
    runId: string,
    event: { type: ResponderEventType; author: string; text?: string; at: number },
  ): Promise<TimelineEvent> {
    const entry: TimelineEvent = {
      at: event.at,
      type: 'responder',
      event: event.type,
      author: event.author,
      ...(event.text !== undefined && { text: event.text }),
    };
    await this.appendEvents(runId, [entry]);
    return entry;
  }

  async appendSample(runId: string, sample: TrafficSample): Promise<void> {
    await this.redis.rpush(keys.samples(runId), JSON.stringify(sample));
  }

  async samples(runId: string): Promise<TrafficSample[]> {
    const list = await this.redis.lrange(keys.samples(runId), 0, -1);
    return list.map((text) => JSON.parse(text) as TrafficSample);
  }

  async appendSignalSamples(runId: string, samples: SignalSampleRecord[]): Promise<void> {
    if (samples.length === 0) return;
    await this.redis.rpush(keys.signalSamples(runId), ...samples.map((s) => JSON.stringify(s)));
  }

  async signalSamples(runId: string): Promise<SignalSampleRecord[]> {
    const list = await this.redis.lrange(keys.signalSamples(runId), 0, -1);
    return list.map((text) => JSON.parse(text) as SignalSampleRecord);
  }

  async appendObservations(runId: string, observations: AlertObservation[]): Promise<void> {
    if (observations.length === 0) return;
    await this.redis.rpush(keys.observations(runId), ...observations.map((o) => JSON.stringify(o)));
  }

  async observations(runId: string): Promise<AlertObservation[]> {
    const list = await this.redis.lrange(keys.observations(runId), 0, -1);
    return list.map((text) => JSON.parse(text) as AlertObservation);
  }

  // ---- lease ----

  /** Takes the run's lease if nobody holds it. */
  async acquireLease(runId: string, worker: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(keys.lease(runId), worker, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async renewLease(runId: string, worker: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, keys.lease(runId), worker, ttlMs)) === 1;
  }

  async releaseLease(runId: string, worker: string): Promise<void> {
    await this.redis.eval(DELETE_IF_VALUE, 1, keys.lease(runId), worker);
  }

  async leaseHolder(runId: string): Promise<string | undefined> {
    return (await this.redis.get(keys.lease(runId))) ?? undefined;
  }

  // ---- abort and halt ----

  async requestAbort(runId: string, request: AbortRequest): Promise<void> {
    await this.redis.set(keys.abort(runId), JSON.stringify(request), 'NX');
  }

  async abortRequest(runId: string): Promise<AbortRequest | undefined> {
    const text = await this.redis.get(keys.abort(runId));
    return text === null ? undefined : (JSON.parse(text) as AbortRequest);
  }

  async halt(state: HaltState): Promise<void> {
    await this.redis.set(keys.halt, JSON.stringify(state));
  }

  async release(): Promise<void> {
    await this.redis.del(keys.halt);
  }

  async haltState(): Promise<HaltState | undefined> {
    const text = await this.redis.get(keys.halt);
    return text === null ? undefined : (JSON.parse(text) as HaltState);
  }

  // ---- per-target lock ----

  /**
   * Takes the (cluster, namespace) lock for the run, as the worker holding its lease (else
   * {@link LeaseLost}). A lock left by a run that has since ended (its worker died between
   * finishing and unlocking) is taken over.
   * Returns the id of the run holding the target when it is busy.
   */
  async lockTarget(
    runId: string,
    target: { context: string; namespace: string },
    worker: string,
  ): Promise<{ locked: true } | { locked: false; holder: string }> {
    const key = keys.targetLock(target.context, target.namespace);
    let holder = 'unknown';
    for (let attempt = 0; attempt < 3; attempt++) {
      const answer = await this.redis.eval(
        LOCK_IF_LEASED,
        2,
        key,
        keys.lease(runId),
        runId,
        worker,
      );
      if (answer === 1) return { locked: true };
      if (answer === 0) throw new LeaseLost(`worker ${worker} no longer holds run ${runId}`);
      holder = String(answer);
      const other = await this.get(holder).catch(() => undefined);
      if (other && !isFinal(other.state)) return { locked: false, holder };
      await this.redis.eval(DELETE_IF_VALUE, 1, key, holder);
    }
    return { locked: false, holder };
  }

  async unlockTarget(runId: string, target: { context: string; namespace: string }) {
    await this.redis.eval(
      DELETE_IF_VALUE,
      1,
      keys.targetLock(target.context, target.namespace),
      runId,
    );
  }

  // ---- webhook alerts ----

  /** Stores one Alertmanager notification's alerts, as received (the API calls this). */
  async appendWebhookAlerts(observations: AlertObservation[]): Promise<void> {
    if (observations.length === 0) return;
    await this.redis.xadd(
      keys.webhookAlerts,
      'MAXLEN',
      '~',
      '100000',
      '*',
      'alerts',
      JSON.stringify(observations),
    );
  }

  /** Webhook alerts received after the stream position `after` ('-' or an id, or `<ms>`). */
  async webhookAlertsSince(
    after: string,
  ): Promise<{ observations: AlertObservation[]; last: string }> {
    const entries = await this.redis.xrange(keys.webhookAlerts, exclusive(after), '+');
    const observations: AlertObservation[] = [];
    let last = after;
    for (const [id, fields] of entries) {
      last = id;
      const index = fields.indexOf('alerts');
      if (index >= 0)
        observations.push(...(JSON.parse(fields[index + 1] ?? '[]') as AlertObservation[]));
    }
    return { observations, last };
  }
}

/** XRANGE start strictly after an id (Redis ≥ 6.2 syntax), or from a time in ms inclusive. */
function exclusive(after: string): string {
  return after === '-' || !after.includes('-') ? after : `(${after}`;
}
