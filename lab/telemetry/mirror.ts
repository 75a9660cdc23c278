import { Counter, Gauge, type LabelValues, type Registry } from 'prom-client';

export type Emit<T extends string> = (labels: LabelValues<T>, value: number) => void;

interface MirrorOptions<T extends string> {
  registry: Registry;
  name: string;
  help: string;
  labelNames: readonly T[];
  /** Emits every series the metric has right now; called at each scrape. */
  fill: (emit: Emit<T>) => void;
}

/** A gauge whose series are recomputed from state at every scrape. */
export function mirroredGauge<T extends string>(options: MirrorOptions<T>): Gauge<T> {
  const gauge: Gauge<T> = new Gauge<T>({
    name: options.name,
    help: options.help,
    labelNames: options.labelNames,
    registers: [options.registry],
    collect() {
      gauge.reset();
      let emitted = false;
      options.fill((labels, value) => {
        emitted = true;
        gauge.set(labels, value);
      });
      // prom-client keeps a 0 for a gauge without labels; a value nobody knows is absent instead.
      if (!emitted && options.labelNames.length === 0) gauge.remove();
    },
  });
  return gauge;
}

/** A counter whose values are read from state (e.g. a restart count) at every scrape. */
export function mirroredCounter<T extends string>(options: MirrorOptions<T>): Counter<T> {
  const counter: Counter<T> = new Counter<T>({
    name: options.name,
    help: options.help,
    labelNames: options.labelNames,
    registers: [options.registry],
    collect() {
      counter.reset();
      options.fill((labels, value) => counter.inc(labels, value));
    },
  });
  return counter;
}
