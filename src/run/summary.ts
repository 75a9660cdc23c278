import type { TrafficSample } from '../measure/types.js';
import type { SamplesSummary } from './types.js';

/** The traffic samples of a run in a few numbers, for the record (the samples themselves are kept apart). */
export function summarizeSamples(
  samples: readonly TrafficSample[],
  threshold: number,
): SamplesSummary {
  const values = samples.flatMap((s) => (s.value === null ? [] : [s.value]));
  const summary: SamplesSummary = {
    count: samples.length,
    noData: samples.length - values.length,
    belowThreshold: values.filter((v) => v < threshold).length,
  };
  if (values.length > 0) {
    summary.min = Math.min(...values);
    summary.max = Math.max(...values);
    summary.mean = values.reduce((a, b) => a + b, 0) / values.length;
    summary.first = values[0];
    summary.last = values[values.length - 1];
  }
  return summary;
}
