import { setTimeout as delay } from 'node:timers/promises';
import { failpoint } from '../failpoints.js';
import type { FaultContext, PlannedWrite, Verification } from '../faults/fault.js';
import { guardFault, type GuardedFault } from '../faults/guarded.js';
import type { KubeClients } from '../kube/clients.js';
import type { Logger } from '../logger.js';
import { formatElapsed, promqlWindowMs, verdict } from '../measure/index.js';
import type { Clock, Detection, Recovery } from '../measure/types.js';
import { scenarioDurations, type ScenarioDurations } from '../scenario/schema.js';
import { measurePrometheusOffset } from '../signals/clock-offset.js';
import { HttpProber } from '../signals/http-prober.js';
import { evaluateGuard, sampleSignal, sampleSuccessRatio } from '../signals/promql-sampler.js';
import { RedisJournal } from './journal.js';
import { LeaseKeeper } from './lease-keeper.js';
import { assertTransition, isFinal, type FinalState, type RunState } from './lifecycle.js';
import { RunObserver, type AlertSources, type TrafficSampler } from './observer.js';
import { retryTransient } from './retry.js';
import { LeaseLost, type RunStore } from './store.js';
import { summarizeSamples } from './summary.js';
import type { RunRecord, StopReason, TimelineEvent, Waiting } from './types.js';

export interface EngineTiming {
  /** Run lease TTL: how soon another worker takes over a run whose worker died. */
  leaseMs: number;
  /** How often alerts are polled and stop requests checked. */
  pollIntervalMs: number;
  /** How long transient API errors are retried during inject. */
  injectDeadlineMs: number;
  /** How long transient API errors are retried during revert. */
  revertDeadlineMs: number;
  /** Longest wait for a fault's own waits (rollouts) and for verify to see it reverted. */
  faultWaitTimeoutMs: number;
  /** HTTP probe per-request timeout. */
  probeTimeoutMs: number;
}

export const DEFAULT_TIMING: EngineTiming = {
  leaseMs: 15_000,
  pollIntervalMs: 1_000,
  injectDeadlineMs: 30_000,
  revertDeadlineMs: 120_000,
  faultWaitTimeoutMs: 120_000,
  probeTimeoutMs: 5_000,
};

/** Hooks for the tool's own metrics (SPEC §8); all optional. */
export interface EngineMetrics {
  runFinished?(record: RunRecord): void;
  faultActive?(delta: 1 | -1): void;
  revertFailed?(record: RunRecord): void;
}

export interface EngineDependencies {
  store: RunStore;
  /** API clients for a kubeconfig context ('' = the worker's current context). */
  kube: (context: string) => KubeClients;
  alertSources: AlertSources;
  /** GAMEDAY_NAMESPACE_ALLOWLIST. */
  allowlist: readonly string[];
  clock: Clock;
  logger: Logger;
  /** This worker's identity in leases and records. */
  worker: string;
  timing?: Partial<EngineTiming>;
  metrics?: EngineMetrics;
  /** Called once a run is final (the trends index records it here). */
  onFinished?: (record: RunRecord) => Promise<unknown>;
}

export type ProcessOutcome =
  | { kind: 'done' }
  /** The target is held by another run and the run asked to wait: try again later. */
  | { kind: 'target busy'; holder: string };

/**
 * Executes runs (SPEC §5): one call of {@link process} takes a run from `queued` to a final
 * state, or — when the run was already under way, its worker having died — takes it over,
 * reverts it and ends it as `aborted: worker lost`. A run never re-injects.
 */
export class RunEngine {
  readonly timing: EngineTiming;

  constructor(private readonly deps: EngineDependencies) {
    this.timing = { ...DEFAULT_TIMING, ...deps.timing };
  }

  /** `shutdown` aborts when this worker is stopping: the run then reverts and ends aborted. */
  async process(runId: string, shutdown?: AbortSignal): Promise<ProcessOutcome> {
    const { store, worker } = this.deps;
    const first = await store.get(runId);
    if (!first || isFinal(first.state)) return { kind: 'done' };
    if (!(await store.acquireLease(runId, worker, this.timing.leaseMs))) {
      // Another worker holds it; if that worker dies, the lease expires and the sweeper acts.
      return { kind: 'done' };
    }
    const lease = new LeaseKeeper(store, runId, worker, this.timing.leaseMs, this.deps.logger);
    try {
      const record = await store.mustGet(runId);
      if (isFinal(record.state)) return { kind: 'done' };
      const execution = new RunExecution(this.deps, this.timing, record, lease.signal, shutdown);
      if (record.state !== 'queued') {
        await execution.takeOver();
        return { kind: 'done' };
      }
      return await execution.run();
    } catch (err) {
      if (err instanceof LeaseLost || lease.signal.aborted) {
        this.deps.logger.warn({ runId, err }, 'lost the run to another worker');
        return { kind: 'done' };
      }
      throw err;
    } finally {
      await lease.stop();
    }
  }
}

class RunExecution {
  readonly #log: Logger;
  readonly #durations: ScenarioDurations;
  readonly #fault: GuardedFault;
  readonly #journal: RedisJournal;
  readonly #observer: RunObserver;
  #ctx: FaultContext | undefined;
  #stop: StopReason | undefined;
  #failure: string | undefined;
  #faultCounted = false;

  constructor(
    private readonly deps: EngineDependencies,
    private readonly timing: EngineTiming,
    private readonly record: RunRecord,
    private readonly lease: AbortSignal,
    private readonly shutdown: AbortSignal | undefined,
  ) {
    this.#log = deps.logger.child({ runId: record.id, scenario: record.scenario.metadata.name });
    this.#durations = scenarioDurations(record.scenario);
    this.#fault = guardFault(record.scenario.spec.fault, {
      allowlist: deps.allowlist,
      allowMeshWide: record.options.allowMeshWide,
    });
    this.#journal = new RedisJournal(deps.store, record.id, deps.worker, deps.clock);
    this.#observer = new RunObserver(
      record.id,
      record.scenario,
      deps.store,
      deps.alertSources,
      this.#trafficSampler(),
      deps.alertSources.prometheus
        ? (name) => {
            const signal = record.scenario.spec.recovery.signals.find((s) => s.name === name)!;
            return sampleSignal(deps.alertSources.prometheus!, signal, deps.clock);
          }
        : undefined,
      deps.clock,
      record.createdAt,
    );
  }

  get #now(): number {
    return this.deps.clock.now();
  }

  #trafficSampler(): TrafficSampler {
    const traffic = this.record.scenario.spec.traffic;
    const { clock, alertSources } = this.deps;
    if (traffic.http) {
      const prober = new HttpProber(traffic.http, {
        clock,
        requestTimeoutMs: this.timing.probeTimeoutMs,
      });
      return () => prober.sample();
    }
    const prometheus = alertSources.prometheus;
    const expr = traffic.promql!;
    if (!prometheus) {
      return () =>
        Promise.reject(new Error('traffic is a PromQL query but PROMETHEUS_URL is not set'));
    }
    return () => sampleSuccessRatio(prometheus, expr, clock);
  }

  #faultContext(): FaultContext {
    this.#ctx ??= {
      kube: this.deps.kube(this.record.target.context),
      runId: this.record.id,
      namespace: this.record.target.namespace,
      journal: this.#journal,
      logger: this.#log,
      waitTimeoutMs: this.timing.faultWaitTimeoutMs,
      now: () => new Date(this.deps.clock.now()),
    };
    return this.#ctx;
  }

  // ---- record keeping ----

  async #save(): Promise<void> {
    this.record.updatedAt = this.#now;
    this.record.worker = this.deps.worker;
    await this.deps.store.save(this.record, this.deps.worker);
  }

  async #event(...events: TimelineEvent[]): Promise<void> {
    await this.deps.store.appendEvents(this.record.id, events);
  }

  async #enter(state: RunState, message?: string): Promise<void> {
    assertTransition(this.record.state, state);
    this.record.state = state;
    delete this.record.waiting;
    await this.#save();
    await this.#event({ at: this.#now, type: 'state', state, ...(message && { message }) });
    this.#log.info({ state, message }, `run ${state}`);
    failpoint(`run.${state}`);
  }

  /** Says what the run waits for now (saved only when that changes). */
  async #wait(waiting: Waiting): Promise<void> {
    const before = this.record.waiting;
    if (before?.for === waiting.for && before.until === waiting.until) return;
    this.record.waiting = waiting;
    await this.#save();
  }

  // ---- stop conditions ----

  /** Abort, halt, worker shutdown; lease loss throws (this worker must stop writing). */
  async #checkStop(): Promise<StopReason | undefined> {
    if (this.lease.aborted) throw new LeaseLost('the run lease was lost');
    if (this.#stop) return this.#stop;
    const now = this.#now;
    const abort = await this.deps.store.abortRequest(this.record.id);
    if (abort) this.#stop = { kind: 'abort', message: abort.reason, by: abort.by, at: now };
    const halt = this.#stop ? undefined : await this.deps.store.haltState();
    if (halt) {
      this.#stop = {
        kind: 'halt',
        message: `kill switch engaged by ${halt.by}: ${halt.reason}`,
        by: halt.by,
        at: now,
      };
    }
    if (!this.#stop && this.shutdown?.aborted) {
      this.#stop = { kind: 'abort', message: 'the worker is shutting down', at: now };
    }
    if (this.#stop) await this.#event({ at: now, type: 'stop', reason: this.#stop });
    return this.#stop;
  }

  /** Waits `ms`, waking early when the lease is lost or the worker shuts down. */
  async #sleep(ms: number): Promise<void> {
    const signals = [this.lease, ...(this.shutdown ? [this.shutdown] : [])];
    await delay(Math.max(0, ms), undefined, { signal: AbortSignal.any(signals) }).catch(
      () => undefined,
    );
  }

  // ---- the normal path ----

  async run(): Promise<ProcessOutcome> {
    const { store } = this.deps;
    const lock = await store.lockTarget(this.record.id, this.record.target, this.deps.worker);
    if (!lock.locked) {
      if (this.record.options.onTargetBusy === 'wait')
        return { kind: 'target busy', holder: lock.holder };
      this.#failure = `target ${describeTarget(this.record.target)} is busy with run ${lock.holder}, and the run asked to be refused rather than wait`;
      await this.#finish('failed');
      return { kind: 'done' };
    }
    try {
      const stop = await this.#checkStop();
      if (stop) {
        await this.#finish('aborted');
        return { kind: 'done' };
      }
      await this.#enter('preflight');
      if (!(await this.#preflight())) return { kind: 'done' };
      if (this.record.options.dryRun) {
        await this.#dryRun();
        return { kind: 'done' };
      }
      await this.#enter('baseline');
      if (!(await this.#baseline())) return { kind: 'done' };
      if (await this.#checkStop()) {
        await this.#finish('aborted');
        return { kind: 'done' };
      }
      await this.#enter('injecting');
      const injected = await this.#inject();
      if (injected) {
        await this.#enter('observing');
        await this.#observe();
      }
      if (!(await this.#revertAndVerify())) return { kind: 'done' };
      if (injected && !this.#stop) await this.#measureToTheEnd();
      await this.#finish(this.#stop ? 'aborted' : injected ? 'completed' : 'failed');
      return { kind: 'done' };
    } finally {
      if (isFinal(this.record.state)) await store.unlockTarget(this.record.id, this.record.target);
    }
  }

  async #preflight(): Promise<boolean> {
    const ctx = this.#faultContext();
    let findings;
    try {
      findings = await retryTransient(() => this.#fault.preflight(ctx), this.#retry('inject'));
    } catch (err) {
      this.#failure = `preflight could not read the cluster: ${message(err)}`;
      await this.#finish('failed');
      return false;
    }
    this.record.preflightFindings = findings;
    await this.#save();
    await this.#event(
      ...findings.map((finding) => ({ at: this.#now, type: 'finding' as const, finding })),
    );
    const blockers = findings.filter((f) => f.severity === 'blocker');
    if (blockers.length > 0) {
      this.#failure = `preflight: ${blockers.map((b) => b.message).join('; ')}`;
      await this.#finish('failed');
      return false;
    }
    await this.#measureClockOffset();
    return true;
  }

  async #dryRun(): Promise<void> {
    const planned: PlannedWrite[] = [];
    await this.#fault.inject({ ...this.#faultContext(), dryRun: planned });
    this.record.result.plannedWrites = planned;
    this.record.summary = `dry run: ${planned.length} write(s) planned, none sent`;
    await this.#finish('completed');
  }

  async #measureClockOffset(): Promise<void> {
    const prometheus = this.deps.alertSources.prometheus;
    if (!prometheus) {
      this.record.result.clockOffset = { unknown: 'PROMETHEUS_URL is not set' };
      return;
    }
    try {
      this.record.result.clockOffset = await measurePrometheusOffset(prometheus, this.deps.clock);
      this.#observer.clockOffsetMs = this.record.result.clockOffset.offsetMs;
    } catch (err) {
      this.record.result.clockOffset = { unknown: message(err) };
    }
    await this.#save();
  }

  /** SPEC §5: traffic must be healthy and no expected alert firing, or there is nothing to measure. */
  async #baseline(): Promise<boolean> {
    const { successThreshold } = this.record.scenario.spec.traffic;
    await this.#observer.pollAlerts();
    const outages = this.#observer.alertOutages();
    if (outages.length > 0) {
      await this.#event({
        at: this.#now,
        type: 'warning',
        message: `alert source unavailable at baseline: ${outages.join('; ')}`,
      });
    }
    const firing = this.#observer.firingExpected();
    if (firing.length > 0) {
      this.#failure = `baseline: expected alert ${[...new Set(firing)].join(', ')} is already firing before injection, so detection cannot be measured`;
      await this.#finish('failed');
      return false;
    }
    let sample = await this.#observer.sampleTraffic();
    for (
      let retry = 0;
      retry < 2 && !(sample.value !== null && sample.value >= successThreshold);
      retry++
    ) {
      await this.#sleep(this.#durations.trafficInterval);
      if (await this.#checkStop()) break;
      sample = await this.#observer.sampleTraffic();
    }
    if (sample.value === null || sample.value < successThreshold) {
      const seen =
        sample.value === null ? (sample.detail ?? 'no data') : `success ratio ${sample.value}`;
      this.#failure = `baseline: traffic success must be at least ${successThreshold} before injecting; ${seen}`;
      await this.#finish(this.#stop ? 'aborted' : 'failed');
      return false;
    }
    await this.#observer.sampleSignals();
    const tripped = await this.#guardsTripped();
    if (tripped.length > 0) {
      this.#failure = `baseline: guard ${tripped.join(', ')} already holds before injection`;
      await this.#finish('failed');
      return false;
    }
    return true;
  }

  async #inject(): Promise<boolean> {
    const ctx = this.#faultContext();
    this.record.desiredFault = 'present';
    await this.#save();
    const started = this.#now;
    this.#journal.watchWrites();
    await this.#event({ at: started, type: 'inject', phase: 'started' });
    this.deps.metrics?.faultActive?.(1);
    this.#faultCounted = true;
    try {
      await retryTransient(() => this.#fault.inject(ctx), this.#retry('inject'));
    } catch (err) {
      if (err instanceof LeaseLost) throw err;
      this.#failure = `inject failed: ${message(err)}`;
      this.#log.warn({ err }, 'inject failed; reverting whatever was applied');
      return false;
    } finally {
      const accepted = this.#journal.lastAccepted();
      this.record.result.injectStartedAt = accepted?.sentAt ?? started;
      this.record.result.t0 = accepted?.acceptedAt ?? this.#now;
      this.#observer.t0 = this.record.result.t0;
      const window = this.record.scenario.spec.traffic.promql
        ? promqlWindowMs(this.record.scenario.spec.traffic.promql)
        : undefined;
      if (window !== undefined) this.record.result.measurementLagMs = window;
      await this.#save();
      await this.#event({ at: this.record.result.t0, type: 'inject', phase: 'accepted' });
    }
    return true;
  }

  /** Holds the fault (auto) or waits for the responders' fix (responders), watching everything. */
  async #observe(): Promise<void> {
    const t0 = this.record.result.t0!;
    const { mode, holdFor: holdText, timeout } = this.record.scenario.spec.recovery;
    const { holdFor, recoveryTimeout } = this.#durations;
    await this.#wait(
      mode === 'auto'
        ? { for: `the ${holdText} hold to end; then the fault is reverted`, until: t0 + holdFor }
        : {
            for: `the responders to fix it (reverted for safety after ${timeout})`,
            until: t0 + recoveryTimeout,
          },
    );
    let nextVerify = this.#now + 5_000;
    await this.#loop(
      async (now) => {
        if (mode === 'auto') return now >= t0 + holdFor;
        if (now >= t0 + recoveryTimeout) {
          await this.#event({
            at: now,
            type: 'warning',
            message: `no recovery by the responders within ${this.record.scenario.spec.recovery.timeout}; reverting for safety`,
          });
          return true;
        }
        if (this.#observer.recovery(t0, now, undefined).status === 'recovered') return true;
        if (now >= nextVerify) {
          nextVerify = now + 5_000;
          const state = (await this.#verify()).state;
          if (state === 'reverted') {
            await this.#event({
              at: now,
              type: 'recovery',
              message: 'the responders removed the fault',
            });
            return true;
          }
        }
        return false;
      },
      { guards: true },
    );
  }

  /**
   * The observation loop: polls alerts every pollInterval and samples traffic (and signals,
   * guards) every traffic interval until `done` says so or the run is stopped.
   */
  async #loop(
    done: (now: number) => Promise<boolean>,
    options: { guards: boolean },
  ): Promise<void> {
    const interval = this.#durations.trafficInterval;
    const guardSince = new Map<number, number>();
    let nextSample = this.#now;
    for (;;) {
      if (await this.#checkStop()) return;
      let now = this.#now;
      const sampling = now >= nextSample;
      if (sampling) nextSample = now + interval;
      // The sources are read side by side, so one that hangs costs a round one client timeout,
      // not one per read, and an abort or halt is still seen within that.
      const [, , , guardTripped] = await Promise.all([
        this.#observer.pollAlerts(),
        sampling && this.#observer.sampleTraffic(),
        sampling && this.#observer.sampleSignals(),
        sampling && options.guards && this.#evaluateGuards(guardSince),
      ]);
      if (guardTripped) return;
      if (await this.#checkStop()) return;
      now = this.#now;
      if (await done(now)) return;
      await this.#sleep(Math.min(this.timing.pollIntervalMs, Math.max(0, nextSample - now)));
    }
  }

  async #guardsTripped(): Promise<string[]> {
    const prometheus = this.deps.alertSources.prometheus;
    const guards = this.record.scenario.spec.guards;
    if (!prometheus || guards.length === 0) return [];
    const tripped: string[] = [];
    for (const [index, guard] of guards.entries()) {
      const result = await evaluateGuard(prometheus, guard, this.deps.clock).catch(() => undefined);
      if (result?.tripped) tripped.push(guard.name ?? `#${index + 1}`);
    }
    return tripped;
  }

  /** Evaluates every guard; trips the run's stop once one has held for its `for`. */
  async #evaluateGuards(since: Map<number, number>): Promise<boolean> {
    const prometheus = this.deps.alertSources.prometheus;
    const guards = this.record.scenario.spec.guards;
    if (!prometheus) return false;
    for (const [index, guard] of guards.entries()) {
      let result;
      try {
        result = await evaluateGuard(prometheus, guard, this.deps.clock);
      } catch (err) {
        await this.#event({
          at: this.#now,
          type: 'warning',
          message: `guard ${guard.name ?? `#${index + 1}`} could not be evaluated: ${message(err)}`,
        });
        continue;
      }
      if (!result.tripped) {
        since.delete(index);
        continue;
      }
      const first = since.get(index) ?? result.at;
      since.set(index, first);
      const forMs = this.#durations.guards[index] ?? 0;
      if (result.at - first >= forMs) {
        const name = guard.name ?? `#${index + 1}`;
        const text = `guard ${name} tripped: ${result.detail ?? `value ${String(result.value)}`} for ${guard.for}`;
        this.#stop = { kind: 'guard', message: text, at: result.at };
        await this.#event(
          { at: result.at, type: 'guard', name, value: result.value, message: text },
          { at: result.at, type: 'stop', reason: this.#stop },
        );
        return true;
      }
    }
    return false;
  }

  // ---- revert, verify, finish ----

  /** Reverts (retrying transient failures) and verifies; false when the revert failed for good. */
  async #revertAndVerify(): Promise<boolean> {
    if (this.record.state !== 'reverting') {
      await this.#enter('reverting', this.#stop?.message ?? this.#failure);
    }
    this.record.desiredFault = 'absent';
    await this.#save();
    const ctx = this.#faultContext();
    await this.#event({ at: this.#now, type: 'revert', phase: 'started' });
    try {
      await retryTransient(() => this.#fault.revert(ctx), this.#retry('revert'));
    } catch (err) {
      if (err instanceof LeaseLost) throw err;
      this.#failure = `REVERT FAILED, the fault may still be in effect; finish it by hand from the run's journal: ${message(err)}`;
      this.#log.error({ err }, 'revert failed');
      await this.#event({ at: this.#now, type: 'revert', phase: 'failed', message: message(err) });
      this.deps.metrics?.revertFailed?.(this.record);
      await this.#finish('error');
      return false;
    }
    this.record.result.revertedAt = this.#now;
    await this.#event({ at: this.record.result.revertedAt, type: 'revert', phase: 'accepted' });
    if (this.#faultCounted) this.deps.metrics?.faultActive?.(-1);
    this.#faultCounted = false;
    await this.#enter('verifying');
    this.record.result.revertVerification = await this.#verifyReverted();
    await this.#save();
    return true;
  }

  async #verify(): Promise<Verification> {
    try {
      return await this.#fault.verify(this.#faultContext());
    } catch (err) {
      return { state: 'partial', details: [`verify failed: ${message(err)}`] };
    }
  }

  /** Polls verify until it reports reverted, or the fault wait deadline passes. */
  async #verifyReverted(): Promise<Verification> {
    const deadline = this.#now + this.timing.faultWaitTimeoutMs;
    await this.#wait({ for: 'the revert to show in the cluster', until: deadline });
    for (;;) {
      const result = await this.#verify();
      if (result.state === 'reverted' || this.#now >= deadline || this.lease.aborted) return result;
      await this.#sleep(500);
    }
  }

  /** After the revert: keep measuring until detection and recovery are decided (or time out). */
  async #measureToTheEnd(): Promise<void> {
    const t0 = this.record.result.t0!;
    const revertedAt = this.record.result.revertedAt ?? this.#now;
    const { detectionTimeout, recoveryTimeout, trafficInterval, sustainFor } = this.#durations;
    // "No impact" is only certain once the samples cover the revert plus the query's lag.
    const settled =
      revertedAt + sustainFor + (this.record.result.measurementLagMs ?? 0) + trafficInterval;
    await this.#loop(
      async (now) => {
        const detection = this.#observer.detection(t0, now);
        // Unknown (a source is down) may still turn into detected once it is back: wait it out.
        const detectionDone = detection.status === 'detected' || now >= t0 + detectionTimeout;
        const recovery = this.#observer.recovery(t0, now, revertedAt);
        const recoveryDone =
          recovery.status === 'recovered' ||
          now >= t0 + recoveryTimeout ||
          (recovery.status !== 'not recovered' && now >= settled);
        const signalsDone = this.#observer
          .signals(t0, now)
          .every(
            (s) =>
              s.status === 'recovered' ||
              now >= t0 + recoveryTimeout ||
              (s.status !== 'not recovered' && now >= settled),
          );
        const waits: Waiting[] = [];
        if (!detectionDone) {
          waits.push({ for: 'an expected alert to fire', until: t0 + detectionTimeout });
        }
        if (!recoveryDone || !signalsDone) {
          // Until the query's window has moved past the revert, its ratio still holds the fault.
          const lag = this.record.result.measurementLagMs;
          waits.push(
            now < settled
              ? {
                  for:
                    lag !== undefined
                      ? `the ${formatElapsed(lag)} PromQL window to cover the recovery`
                      : 'the samples to cover the recovery',
                  until: Math.min(settled, t0 + recoveryTimeout),
                }
              : { for: 'traffic to recover', until: t0 + recoveryTimeout },
          );
        }
        if (waits.length > 0) {
          await this.#wait({
            for: waits.map((w) => w.for).join(', and '),
            until: Math.max(...waits.map((w) => w.until ?? 0)),
          });
        }
        return detectionDone && recoveryDone && signalsDone;
      },
      { guards: false },
    );
  }

  async #finish(outcome: FinalState): Promise<void> {
    const now = this.#now;
    const result = this.record.result;
    if (result.t0 !== undefined) {
      const detection = this.#observer.detection(result.t0, now);
      const recovery = this.#observer.recovery(result.t0, now, result.revertedAt);
      this.#fillResult(detection, recovery, now);
    }
    this.record.outcome = outcome;
    delete this.record.waiting;
    if (this.#stop) this.record.stop = this.#stop;
    if (this.#failure) this.record.error = this.#failure;
    this.record.summary ??= summaryLine(this.record, outcome, this.#failure);
    this.record.state = outcome;
    await this.#save();
    await this.#event({ at: now, type: 'state', state: outcome, message: this.record.summary });
    this.deps.metrics?.runFinished?.(this.record);
    await this.deps
      .onFinished?.(this.record)
      .catch((err: unknown) =>
        this.#log.warn({ err }, 'could not index the finished run for trends'),
      );
    this.#log.info({ outcome, summary: this.record.summary }, 'run finished');
  }

  #fillResult(detection: Detection, recovery: Recovery, now: number): void {
    const result = this.record.result;
    const t0 = result.t0!;
    result.detection = detection;
    result.recovery = recovery;
    result.signals = this.#observer.signals(t0, now);
    result.collateralAlerts = detection.collateral;
    result.timeToDetect =
      detection.status === 'detected' && detection.timeToDetectMs !== undefined
        ? detection.timeToDetectMs / 1000
        : null;
    result.timeToRecover =
      recovery.status === 'recovered' && recovery.timeToRecoverMs !== undefined
        ? recovery.timeToRecoverMs / 1000
        : null;
    result.recoveryAfterRevert =
      recovery.recoveryAfterRevertMs !== undefined ? recovery.recoveryAfterRevertMs / 1000 : null;
    result.verdict = verdict(detection, recovery, this.#durations.objectives);
    result.samples = summarizeSamples(
      this.#observer.samples.filter((s) => s.at >= t0),
      this.record.scenario.spec.traffic.successThreshold,
    );
  }

  // ---- take-over after a worker died ----

  /** The run's worker died (its lease expired): revert whatever it applied, end `aborted`. */
  async takeOver(): Promise<void> {
    try {
      await this.#takeOver();
    } finally {
      if (isFinal(this.record.state)) {
        await this.deps.store.unlockTarget(this.record.id, this.record.target);
      }
    }
  }

  async #takeOver(): Promise<void> {
    const state = this.record.state;
    const owner = this.record.worker ?? 'unknown';
    this.#stop = {
      kind: 'worker lost',
      // The owner itself takes a run over when its renewals did not reach Redis in time.
      message:
        owner === this.deps.worker
          ? `worker ${owner} could not renew its lease in time while the run was ${state} (Redis unreachable, or the worker stalled); it took the run over again to revert it`
          : `worker ${owner} stopped renewing its lease while the run was ${state}; worker ${this.deps.worker} took it over`,
      at: this.#now,
    };
    await this.#event({ at: this.#now, type: 'stop', reason: this.#stop });
    await this.#observer.load();
    if (this.record.result.t0 !== undefined) this.#observer.t0 = this.record.result.t0;
    // The journal is only written from `injecting` on: before that nothing was changed.
    if (state === 'preflight' || state === 'baseline') {
      await this.#finish('aborted');
      return;
    }
    if (state === 'verifying') {
      this.record.result.revertVerification = await this.#verifyReverted();
      await this.#save();
    } else if (!(await this.#revertAndVerify())) return;
    await this.#finish('aborted');
  }

  #retry(phase: 'inject' | 'revert') {
    return {
      clock: this.deps.clock,
      deadlineMs: phase === 'inject' ? this.timing.injectDeadlineMs : this.timing.revertDeadlineMs,
      signal: this.lease,
      onRetry: (err: unknown, attempt: number, wait: number) =>
        this.#log.warn(
          { err, attempt, waitMs: Math.round(wait), phase },
          `${phase}: transient failure, retrying`,
        ),
    };
  }
}

function describeTarget(target: { context: string; namespace: string }): string {
  return `${target.context || '(current context)'}/${target.namespace}`;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function summaryLine(record: RunRecord, outcome: FinalState, failure: string | undefined): string {
  if (record.stop) return `${outcome}: ${record.stop.kind} — ${record.stop.message}`;
  if (failure) return `${outcome}: ${failure}`;
  const r = record.result;
  const seconds = (s: number | null | undefined) =>
    s === null || s === undefined ? undefined : formatElapsed(s * 1000);
  const detect =
    r.detection?.status === 'detected'
      ? `detected in ${seconds(r.timeToDetect)}`
      : (r.detection?.status ?? 'detection unknown');
  const recover =
    r.recovery?.status === 'recovered'
      ? `recovered in ${seconds(r.timeToRecover)}`
      : (r.recovery?.status ?? 'recovery unknown');
  return `${outcome}: ${detect}, ${recover}, verdict ${r.verdict?.outcome ?? 'inconclusive'}`;
}
