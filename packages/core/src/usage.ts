// Usage latency histograms: 80 log-spaced buckets from 10 ms growing by 15%, the same formula as
// the database's usage_latency_bucket(). Histograms from many rollup rows add up element-wise,
// so percentiles over any grouping come from the merged histogram (within the 15% bucket width).

export const USAGE_HISTOGRAM_BUCKETS = 80;
const BASE_MS = 10;
const GROWTH = 1.15;

export function usageLatencyBucket(ms: number): number {
  const index = Math.floor(Math.log(Math.max(ms, BASE_MS) / BASE_MS) / Math.log(GROWTH));
  return Math.min(USAGE_HISTOGRAM_BUCKETS - 1, Math.max(0, index));
}

/** The latency a bucket stands for: the geometric middle of its bounds. */
export function usageBucketMidpointMs(index: number): number {
  if (index === 0) return BASE_MS;
  return BASE_MS * GROWTH ** (index + 0.5);
}

export function addHistograms(into: number[], from: readonly number[]): number[] {
  for (let i = 0; i < from.length; i++) into[i] = (into[i] ?? 0) + (from[i] ?? 0);
  return into;
}

/** The q-quantile (0..1) of a histogram, in ms; null when it is empty. */
export function histogramQuantileMs(histogram: readonly number[], q: number): number | null {
  const total = histogram.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i] ?? 0;
    if (seen >= rank) return Math.round(usageBucketMidpointMs(i));
  }
  return Math.round(usageBucketMidpointMs(histogram.length - 1));
}
