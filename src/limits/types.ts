/**
 * Shared shapes of the rate-limit algorithms: compiled specs (made by the validating factories
 * in `spec.ts`), the state record each algorithm keeps per key, and the step it returns.
 *
 * The algorithms are pure functions `(spec, state, cost, now) -> step`: no clock, no I/O, no
 * mutation of the state they are given. They were written by hand rather than taken from a
 * library because they are the product's edge: their exact boundaries (at the limit, not one
 * past it; a lagging clock never rolling a key back) are what users rely on, and the Redis Lua
 * script in `store/redis/` mirrors them line for line.
 */

/** Fixed window aligned to the epoch: at most `limit` per `[k·W, (k+1)·W)`. */
export interface FixedWindowSpec {
  readonly kind: "fixed_window";
  readonly limit: number;
  readonly windowMs: number;
}

/**
 * Weighted sliding window. The window W is cut into `buckets` sub-windows of W / buckets; the
 * estimate is the sum of the newest `buckets` sub-windows plus the oldest one weighted by how
 * much of it still overlaps the window. With `buckets: 1` this is the classic two-window
 * counter. A second check caps the raw sum of all sub-windows touching the window at
 * `floor(limit · (1 + 1/buckets))`, so no window of length W ever admits more than that.
 */
export interface SlidingWindowSpec {
  readonly kind: "sliding_window";
  readonly limit: number;
  readonly windowMs: number;
  readonly buckets: number;
  /** Length of one sub-window, `windowMs / buckets` (an integer). */
  readonly bucketMs: number;
  /** `floor(limit · (buckets + 1) / buckets)`. */
  readonly cap: number;
}

/** Exact sliding log: every admitted request is remembered for W. For small limits only. */
export interface SlidingLogSpec {
  readonly kind: "sliding_log";
  readonly limit: number;
  readonly windowMs: number;
}

/** Token bucket: `capacity` tokens (the burst), refilled continuously at `refillPerMs`. */
export interface TokenBucketSpec {
  readonly kind: "token_bucket";
  readonly capacity: number;
  readonly refillPerSecond: number;
  readonly refillPerMs: number;
}

/**
 * Generic cell rate algorithm: `rate` per `periodMs`, with `burst` requests at once.
 * Emission interval T = periodMs / rate, tolerance τ = T · burst.
 */
export interface GcraSpec {
  readonly kind: "gcra";
  readonly rate: number;
  readonly periodMs: number;
  readonly burst: number;
  readonly emissionMs: number;
  readonly toleranceMs: number;
}

/** A calendar period's bounds, epoch ms, end exclusive. */
export interface Period {
  readonly start: number;
  readonly end: number;
}

/** Calendar quota: at most `limit` per day or per month in a time zone. */
export interface CalendarSpec {
  readonly kind: "calendar";
  readonly limit: number;
  readonly period: "day" | "month";
  readonly timeZone: string;
  /** The period containing `now` (prepared at construction, cached between calls). */
  readonly periodAt: (now: number) => Period;
}

/** Requests in flight per key; each lease expires after `leaseMs` if never released. */
export interface ConcurrencySpec {
  readonly kind: "concurrency";
  readonly limit: number;
  readonly leaseMs: number;
}

/** A counter one route raises and another lowers; each held amount expires after `ttlMs`. */
export interface HoldsSpec {
  readonly kind: "holds";
  readonly limit: number;
  readonly ttlMs: number;
}

export type LimitSpec =
  | FixedWindowSpec
  | SlidingWindowSpec
  | SlidingLogSpec
  | TokenBucketSpec
  | GcraSpec
  | CalendarSpec
  | ConcurrencySpec
  | HoldsSpec;

export type LimitKind = LimitSpec["kind"];

/** What one algorithm says about one request. Durations are ms from `now`, integers. */
export interface LimitVerdict {
  readonly allowed: boolean;
  /** What is left after this request (when allowed) or now (when denied); an integer ≥ 0. */
  readonly remaining: number;
  /** Until the key is back to its full allowance, assuming no further traffic. */
  readonly resetMs: number;
  /**
   * 0 when allowed; otherwise until a request of the same cost would be admitted, assuming no
   * further traffic. A cost above the limit is never admitted: it then equals `resetMs`.
   */
  readonly retryAfterMs: number;
}

/** A verdict with the state to keep if the request is admitted. */
export interface Step<S> extends LimitVerdict {
  readonly state: S;
}

export interface FixedWindowState { readonly start: number; readonly count: number }
export interface SlidingWindowState {
  /** Start of the newest sub-window. */
  readonly start: number;
  /** Counts, newest first: `counts[i]` is the sub-window starting at `start - i·bucketMs`. */
  readonly counts: readonly number[];
}
/** Admitted requests, oldest first. */
export interface SlidingLogState { readonly times: readonly number[]; readonly costs: readonly number[] }
export interface TokenBucketState { readonly tokens: number; readonly at: number }
export interface GcraState { readonly tat: number }
export interface CalendarState { readonly start: number; readonly end: number; readonly count: number }
/** Leases, by expiry ascending. */
export interface ConcurrencyState {
  readonly ids: readonly string[];
  readonly expires: readonly number[];
  readonly weights: readonly number[];
}
/** Held amounts, by expiry ascending. */
export interface HoldsState { readonly expires: readonly number[]; readonly amounts: readonly number[] }

/** The state type of each kind. */
export interface StateOf {
  fixed_window: FixedWindowState;
  sliding_window: SlidingWindowState;
  sliding_log: SlidingLogState;
  token_bucket: TokenBucketState;
  gcra: GcraState;
  calendar: CalendarState;
  concurrency: ConcurrencyState;
  holds: HoldsState;
}

/** The allowance a spec advertises in RateLimit headers (`q`). */
export function quotaOf(spec: LimitSpec): number {
  switch (spec.kind) {
    case "token_bucket": return spec.capacity;
    case "gcra": return spec.burst;
    default: return spec.limit;
  }
}
