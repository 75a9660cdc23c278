import type { Registry as MetricsRegistry } from 'prom-client';

/** What a scrape of one target answers. */
export interface ScrapeResult {
  status: number;
  contentType: string;
  body: string;
}

/** One Prometheus scrape target: a job, the exporter path serving it, and its target labels. */
export interface ScrapeTarget {
  job: string;
  path: string;
  labels: Record<string, string>;
  scrape(): Promise<ScrapeResult>;
}

/** A component that exports targets; asked again at every scrape and SD request. */
export interface TargetSource {
  targets(): ScrapeTarget[];
}

export async function exposition(registry: MetricsRegistry): Promise<ScrapeResult> {
  return { status: 200, contentType: registry.contentType, body: await registry.metrics() };
}

export function unavailable(body: string): ScrapeResult {
  return { status: 503, contentType: 'text/plain; charset=utf-8', body: `${body}\n` };
}

/** A series key for label sets, so series can be found again to remove them. */
export function seriesKey(labels: Record<string, string>): string {
  return Object.values(labels).join('\u0000');
}
