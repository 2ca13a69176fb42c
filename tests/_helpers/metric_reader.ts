// The OpenTelemetry SDK with a reader collected on demand: what the tests of `wsflow/otel` read
// the instruments' values from, the way an exporter would.
import type { MeterProvider as ApiMeterProvider } from "@opentelemetry/api";
import {
  type DataPoint,
  type Histogram,
  MeterProvider,
  MetricReader,
} from "@opentelemetry/sdk-metrics";

/** A reader that exports nothing by itself: `collect()` when a test wants the values. */
class ManualReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** One data point: its attributes and value (a number, or a histogram's count and sum). */
export interface Point {
  attributes: Record<string, unknown>;
  value: number | { count: number; sum: number | undefined };
}

/** The SDK's provider, for `openTelemetry({ meterProvider })`, and its values by instrument. */
export interface TestMetrics {
  provider: ApiMeterProvider;
  /** Every instrument's points, by name, as the SDK aggregated them so far (cumulative). */
  collect(): Promise<Map<string, Point[]>>;
  shutdown(): Promise<void>;
}

/** A fresh SDK with one manual reader. */
export function testMetrics(): TestMetrics {
  const reader = new ManualReader();
  const provider = new MeterProvider({ readers: [reader] });
  return {
    provider,
    async collect() {
      const { resourceMetrics } = await reader.collect();
      const found = new Map<string, Point[]>();
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) {
          const points = (metric.dataPoints as DataPoint<number | Histogram>[]).map((point) => ({
            attributes: { ...point.attributes },
            value: typeof point.value === "number"
              ? point.value
              : { count: point.value.count, sum: point.value.sum },
          }));
          found.set(metric.descriptor.name, points);
        }
      }
      return found;
    },
    shutdown: () => provider.shutdown(),
  };
}

/** The points of `name` as `"k=v,k=v" -> value` (numbers) or `-> count` (histograms), sorted. */
export function table(metrics: Map<string, Point[]>, name: string): Record<string, number> {
  const rows: [string, number][] = (metrics.get(name) ?? []).map((point) => [
    Object.entries(point.attributes).map(([k, v]) => `${k}=${String(v)}`).sort().join(","),
    typeof point.value === "number" ? point.value : point.value.count,
  ]);
  return Object.fromEntries(rows.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
