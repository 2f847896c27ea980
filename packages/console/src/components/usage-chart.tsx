import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from 'recharts';
import type { ChartData, ChartRow } from '../lib/usage-view.ts';
import { bucketLabel, tickLabel } from '../lib/usage-view.ts';
import type { UsageGranularity } from '../lib/usage-search.ts';

// The Usage page's bar chart (recharts): one bar per bucket, stacked by group. Only the Usage page
// imports this module, and only lazily, so recharts never enters the first bundle. It draws
// SVG with presentation attributes (colors are CSS variables of styles.css) and no <style> tag.
// It is a picture of the table under it, which carries the same numbers for screen readers and
// the keyboard: role="img" with a label, and no keyboard layer of its own.

export const SERIES_COLORS = 8;

export interface UsageChartProps {
  data: ChartData;
  granularity: UsageGranularity;
  /** What the chart shows, for its label: `Jobs per day, by model`. */
  title: string;
  /** A series' name as people read it (a key's name, a status in words). */
  labelOf: (series: string) => string;
  format: (value: number) => string;
  /** Said over the empty axes when every bucket is zero. */
  emptyText: string | null;
}

export default function UsageChart({ data, granularity, title, labelOf, format, emptyText }: UsageChartProps) {
  // Values by function, not by name: a group key with a dot would read as a path.
  const series = data.series.length > 0 ? data.series : [null];
  return (
    <div className="usage-chart" role="img" aria-label={`${title}: a bar chart; the table below has its numbers.`}>
      <BarChart data={data.rows} responsive style={{ width: '100%', height: 260 }} margin={{ top: 8, right: 8, bottom: 0, left: 0 }} accessibilityLayer={false}>
        <CartesianGrid vertical={false} stroke="var(--border)" />
        <XAxis
          dataKey="start"
          tickFormatter={(value: string) => tickLabel(value, granularity)}
          stroke="var(--muted)"
          tick={{ fill: 'var(--muted)', fontSize: 12 }}
          minTickGap={12}
          tickLine={false}
        />
        <YAxis
          width={56}
          stroke="var(--muted)"
          tick={{ fill: 'var(--muted)', fontSize: 12 }}
          tickFormatter={(value: number) => format(value)}
          allowDecimals={false}
          // Empty: axes from 0 to 1 still; else recharts' own round ticks.
          domain={emptyText ? [0, 1] : [0, 'auto']}
          tickLine={false}
        />
        {emptyText ? null : (
          <Tooltip
            cursor={{ fill: 'var(--surface-2)' }}
            labelFormatter={(label) => bucketLabel(String(label), granularity)}
            formatter={(value, name) => [format(Number(value)), name]}
            contentStyle={{ background: 'var(--surface)', border: '1px solid var(--border)', borderRadius: 8, color: 'var(--text)' }}
          />
        )}
        {data.series.length > 1 ? <Legend wrapperStyle={{ fontSize: 13 }} /> : null}
        {/* No groups at all (an empty range): one empty series keeps the axes. */}
        {series.map((key, index) => (
          <Bar
            key={key ?? ''}
            dataKey={(row: ChartRow) => (key === null ? 0 : (row.values[key] ?? 0))}
            name={key === null ? title : labelOf(key)}
            stackId="usage"
            fill={`var(--series-${(index % SERIES_COLORS) + 1})`}
            isAnimationActive={false}
            maxBarSize={48}
          />
        ))}
      </BarChart>
      {emptyText ? <p className="usage-chart-empty">{emptyText}</p> : null}
    </div>
  );
}
