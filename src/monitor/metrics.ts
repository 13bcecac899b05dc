/** Prometheus metrics of the gateway: one private registry per gateway, labelled children cached for the hot path. */
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from "prom-client";
import { ACTIONS, type Action } from "../engine/index.ts";

/** Route label of a request that matched no route (no route id can contain `<`). */
export const NO_ROUTE_LABEL = "<none>";

/** Metric names, exported so the admin API, the bench and the tests name them one way. */
export const METRIC_NAMES = Object.freeze({
  requests: "rampart_requests_total",
  inFlight: "rampart_requests_in_flight",
  upstreamLatency: "rampart_upstream_latency_seconds",
  decisionLatency: "rampart_decision_latency_seconds",
});

/**
 * Decision latency buckets in seconds, 5 µs to 50 ms: the pipeline's budget is tens of
 * microseconds, so the default Prometheus buckets (5 ms and up) would put every decision in
 * the first one and say nothing.
 */
export const DECISION_BUCKETS: readonly number[] = Object.freeze([
  5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2,
]);

/** Upstream latency buckets in seconds, 1 ms to 30 s (the default response-headers timeout). */
export const UPSTREAM_BUCKETS: readonly number[] = Object.freeze([
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
]);

export interface GatewayMetrics {
  readonly registry: Registry;
  /** In-flight gauge +1. */
  requestStarted(): void;
  /** In-flight gauge −1, requests counter by route/action/status, upstream latency histogram. */
  requestFinished(route: string, action: Action, status: number, upstreamMs: number | undefined): void;
  /** Decision latency histogram (microsecond buckets, 5 µs to 50 ms). */
  decisionTook(seconds: number): void;
}

export interface GatewayMetricsOptions {
  /** Add Node's process metrics (CPU, memory, event loop lag, GC) to the registry. Default true. */
  readonly processMetrics?: boolean;
}


/** One series of the requests counter, counted in a plain number and handed to prom-client at scrape. */
interface RequestCell {
  readonly labels: { readonly route: string; readonly action: Action; readonly status: string };
  count: number;
}

/** Everything the hot path touches for one route, found with a single map lookup. */
interface RouteChildren {
  readonly upstream: HistogramSeries;
  /** Keyed by `actionIndex * 1000 + status`: a number, so a lookup allocates no key string. */
  readonly requests: Map<number, RequestCell>;
}

const ACTION_INDEX: ReadonlyMap<Action, number> = new Map(ACTIONS.map((action, index) => [action, index]));

/**
 * Creates the gateway's metrics on a registry of its own — never prom-client's global one,
 * so that two gateways in one process (tests, embedding) do not collide or double count.
 * Route labels are the configured route ids (a bounded set) or `<none>`, never a raw path,
 * so a scanner cannot blow up the number of series.
 */
export function createGatewayMetrics(options: GatewayMetricsOptions = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });

  const routes = new Map<string, RouteChildren>();
  const cells: RequestCell[] = [];
  let inFlight = 0;

  // The counter and the gauge live in plain numbers and are copied into prom-client when
  // scraped (its `collect` hook): prom-client's own inc() hashes the label set on every call,
  // which is work per request for something read once every few seconds.
  new Counter({
    name: METRIC_NAMES.requests,
    help: "Requests answered, by route id, action and HTTP status.",
    labelNames: ["route", "action", "status"],
    registers: [registry],
    collect() {
      this.reset();
      for (const cell of cells) this.inc(cell.labels, cell.count);
    },
  });
  new Gauge({
    name: METRIC_NAMES.inFlight,
    help: "Requests being handled right now.",
    registers: [registry],
    collect() {
      this.set(inFlight);
    },
  });
  // The histograms too (PlainHistogram): prom-client's observe() hashes the labels each call.
  const upstreamLatency = new PlainHistogram(
    METRIC_NAMES.upstreamLatency,
    "Time from sending a request upstream to its response headers, by route id, in seconds.",
    UPSTREAM_BUCKETS,
    registry,
  );
  const decisionLatency = new PlainHistogram(
    METRIC_NAMES.decisionLatency,
    "Time the pipeline took to decide a request, in seconds.",
    DECISION_BUCKETS,
    registry,
  );
  const decisions = decisionLatency.series(undefined);

  function childrenOf(route: string): RouteChildren {
    let children = routes.get(route);
    if (children === undefined) {
      children = { upstream: upstreamLatency.series({ route }), requests: new Map() };
      routes.set(route, children);
    }
    return children;
  }

  return {
    registry,
    requestStarted() {
      inFlight++;
    },
    requestFinished(route, action, status, upstreamMs) {
      inFlight--;
      const children = childrenOf(route);
      const key = (ACTION_INDEX.get(action) ?? 0) * 1000 + status;
      let cell = children.requests.get(key);
      if (cell === undefined) {
        cell = { labels: { route, action, status: String(status) }, count: 0 };
        children.requests.set(key, cell);
        cells.push(cell);
      }
      cell.count++;
      if (upstreamMs !== undefined) upstreamLatency.observe(children.upstream, upstreamMs / 1000);
    },
    decisionTook(seconds) {
      decisionLatency.observe(decisions, seconds);
    },
  };
}

/** One label set of a PlainHistogram: counts per bucket (not cumulative), their sum and total. */
interface HistogramSeries {
  readonly labels: Readonly<Record<string, string>> | undefined;
  readonly counts: number[];
  sum: number;
  count: number;
}

/** One line of a histogram in prom-client's `get()` shape. */
interface HistogramValue {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/** What `get()` answers, as prom-client's metrics do. */
interface HistogramSnapshot {
  readonly name: string;
  readonly help: string;
  readonly type: "histogram";
  readonly aggregator: "sum";
  readonly values: HistogramValue[];
}

/**
 * A Prometheus histogram kept in plain numbers and exposed in prom-client's format at scrape:
 * registered on the registry like any metric, so the text output, JSON and
 * `getSingleMetric().get()` read the same as prom-client's own Histogram.
 */
class PlainHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = "histogram" as const;
  readonly aggregator = "sum" as const;
  readonly #bounds: readonly number[];
  readonly #series: HistogramSeries[] = [];

  constructor(name: string, help: string, bounds: readonly number[], registry: Registry) {
    this.name = name;
    this.help = help;
    this.#bounds = bounds;
    registry.registerMetric(this as unknown as Metric);
  }

  /** A new series (call once per label set, keep it). */
  series(labels: Readonly<Record<string, string>> | undefined): HistogramSeries {
    const series: HistogramSeries = { labels, counts: this.#bounds.map(() => 0), sum: 0, count: 0 };
    this.#series.push(series);
    return series;
  }

  /** Counts `value` in the first bucket whose bound it does not exceed (`le`), or only in +Inf. */
  observe(series: HistogramSeries, value: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    if (i < bounds.length) (series.counts[i] as number)++;
    series.sum += value;
    series.count++;
  }

  get(): Promise<HistogramSnapshot> {
    const values: HistogramValue[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const series of this.#series) {
      // A labelled series appears once observed, as prom-client's labelled children do.
      if (series.labels !== undefined && series.count === 0) continue;
      let cumulative = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        cumulative += series.counts[i] as number;
        values.push({ metricName: bucketName, labels: { le: this.#bounds[i] as number, ...series.labels }, value: cumulative });
      }
      values.push({ metricName: bucketName, labels: { le: "+Inf", ...series.labels }, value: series.count });
      values.push({ metricName: `${this.name}_sum`, labels: { ...series.labels }, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...series.labels }, value: series.count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  reset(): void {
    for (const series of this.#series) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}

/** One cumulative bucket of a histogram: how many observations were ≤ `le` seconds. */
export interface CumulativeBucket {
  readonly le: number;
  readonly count: number;
}

/**
 * Estimates the `q` quantile (0..1) from cumulative buckets the way Prometheus'
 * `histogram_quantile` does: find the bucket holding the rank, interpolate linearly inside it
 * (the first bucket starts at 0). A rank past the last finite bucket answers that bucket's
 * bound. Undefined when there are no observations.
 */
export function quantileFromBuckets(buckets: readonly CumulativeBucket[], total: number, q: number): number | undefined {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be between 0 and 1, got ${q}`);
  if (total <= 0) return undefined;
  const finite = buckets.filter((bucket) => Number.isFinite(bucket.le)).sort((a, b) => a.le - b.le);
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bucket of finite) {
    if (bucket.count >= rank && bucket.count > lowerCount) {
      return lowerBound + (bucket.le - lowerBound) * ((rank - lowerCount) / (bucket.count - lowerCount));
    }
    lowerBound = bucket.le;
    lowerCount = bucket.count;
  }
  return finite.length === 0 ? undefined : lowerBound;
}

/**
 * Estimates a quantile of the decision latency, in seconds (e.g. `0.99` for p99), from the
 * histogram's buckets; undefined before the first decision. Reads the registry, so it works
 * on any registry the gateway's metrics were written to.
 */
export async function decisionQuantile(source: GatewayMetrics | Registry, q: number): Promise<number | undefined> {
  const registry = source instanceof Registry ? source : source.registry;
  const metric = registry.getSingleMetric(METRIC_NAMES.decisionLatency);
  if (metric === undefined) return undefined;
  const data = await metric.get();
  const buckets: CumulativeBucket[] = [];
  let total = 0;
  for (const value of data.values) {
    const name = (value as { metricName?: string }).metricName;
    if (name === `${METRIC_NAMES.decisionLatency}_count`) total = value.value;
    else if (name === `${METRIC_NAMES.decisionLatency}_bucket`) {
      const le = (value.labels as { le?: string | number }).le;
      if (le !== undefined && le !== "+Inf") buckets.push({ le: Number(le), count: value.value });
    }
  }
  return quantileFromBuckets(buckets, total, q);
}
