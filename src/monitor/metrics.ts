/** Prometheus metrics of the gateway: one private registry per gateway, labelled children cached for the hot path. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
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

type HistogramChild = ReturnType<Histogram<string>["labels"]>;

/** One series of the requests counter, counted in a plain number and handed to prom-client at scrape. */
interface RequestCell {
  readonly labels: { readonly route: string; readonly action: Action; readonly status: string };
  count: number;
}

/** Everything the hot path touches for one route, found with a single map lookup. */
interface RouteChildren {
  readonly upstream: HistogramChild;
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
  const upstreamLatency = new Histogram({
    name: METRIC_NAMES.upstreamLatency,
    help: "Time from sending a request upstream to its response headers, by route id, in seconds.",
    labelNames: ["route"],
    buckets: [...UPSTREAM_BUCKETS],
    registers: [registry],
  });
  const decisionLatency = new Histogram({
    name: METRIC_NAMES.decisionLatency,
    help: "Time the pipeline took to decide a request, in seconds.",
    buckets: [...DECISION_BUCKETS],
    registers: [registry],
  });

  function childrenOf(route: string): RouteChildren {
    let children = routes.get(route);
    if (children === undefined) {
      children = { upstream: upstreamLatency.labels(route), requests: new Map() };
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
      if (upstreamMs !== undefined) children.upstream.observe(upstreamMs / 1000);
    },
    decisionTook(seconds) {
      decisionLatency.observe(seconds);
    },
  };
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
