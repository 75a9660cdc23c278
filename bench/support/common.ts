/**
 * What every benchmark shares: the machine description, nearest-rank percentiles, the
 * `--quick` flag and the machine-readable result each one writes to reports/bench/<name>.json
 * (the runner, bench/index.ts, reads those back for its summary table).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export const RESULTS_DIR = join('reports', 'bench');

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  /** 1-minute load average when the bench started: above the core count means a shared machine. */
  loadAverage: number;
  redis?: string;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.platform()} ${os.release()}`,
    loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}

export async function redisVersion(url: string): Promise<string> {
  const redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  try {
    return /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?';
  } finally {
    redis.disconnect();
  }
}

export function describeMachine(m: Machine): string {
  return (
    `machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, node ${m.node}, ${m.os}, ` +
    `load average ${m.loadAverage.toFixed(2)}${m.redis ? `, redis ${m.redis}` : ''}`
  );
}

export interface Percentiles {
  count: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles (the same definition as bench/trends.ts). */
export function percentiles(samples: readonly number[]): Percentiles {
  if (samples.length === 0)
    return { count: 0, min: NaN, p50: NaN, p95: NaN, p99: NaN, max: NaN, mean: NaN };
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
  return {
    count: sorted.length,
    min: sorted[0]!,
    p50: rank(0.5),
    p95: rank(0.95),
    p99: rank(0.99),
    max: sorted.at(-1)!,
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export const ms = (n: number) => (Number.isFinite(n) ? `${round(n, n < 10 ? 2 : 1)} ms` : '—');

/** One line of the summary table: an issue item, its target, what was measured. */
export interface Figure {
  item: string;
  what: string;
  target: string;
  measured: string;
  /** Whether the target is met; undefined when the figure has no target. */
  met?: boolean;
}

export interface BenchResult {
  name: string;
  date: string;
  quick: boolean;
  machine: Machine;
  durationMs: number;
  figures: Figure[];
  /** Everything else the bench measured, for the record. */
  details: Record<string, unknown>;
}

export function isQuick(argv: readonly string[] = process.argv): boolean {
  return argv.includes('--quick');
}

/** Writes reports/bench/<name>.json and prints the figures. */
export function writeResult(result: BenchResult): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${result.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  for (const f of result.figures) {
    const verdict = f.met === undefined ? '' : f.met ? ' (met)' : ' (MISSED)';
    console.log(`  [${f.item}] ${f.what}: ${f.measured}; target ${f.target}${verdict}`);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `main`, exits 1 on an error; benches call this last. */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
