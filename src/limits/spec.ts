/**
 * Validating factories for limit specs: options are checked and normalized once, at
 * construction, and the frozen spec is what the hot path reads. A bad option throws a
 * `LimitSpecError` naming the option (a config error, raised at start, never per request).
 */

import { calendarPeriods } from "./calendar-period.ts";
import type {
  CalendarSpec, ConcurrencySpec, FixedWindowSpec, GcraSpec, HoldsSpec, LimitSpec, SlidingLogSpec,
  SlidingWindowSpec, TokenBucketSpec,
} from "./types.ts";

/** Largest limit of the exact sliding log: it remembers every request, so it is for small limits. */
export const MAX_SLIDING_LOG_LIMIT = 1000;
/** Largest number of leases or held amounts one key keeps (they are stored one by one). */
export const MAX_LEASES = 10_000;
/** Most sub-windows of a sliding window. */
export const MAX_BUCKETS = 60;

/** An option of a limit that cannot work; `option` names it. */
export class LimitSpecError extends Error {
  override readonly name = "LimitSpecError";
  readonly option: string;
  constructor(option: string, message: string) {
    super(`${option}: ${message}`);
    this.option = option;
  }
}

function positiveInteger(option: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new LimitSpecError(option, `must be an integer from 1 to ${max}, got ${value}`);
  }
  return value;
}

function positiveNumber(option: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new LimitSpecError(option, `must be a positive number, got ${value}`);
  }
  return value;
}

/**
 * Each kind of spec is an instance of a class of its own, which gives it a V8 shape (hidden
 * class) of its own. Built as object literals, specs shared their shape tree with every other
 * literal in the process: once the gateway's modules were loaded, a token bucket spec came out
 * as a dictionary, and every read of it on the hot path became a generic lookup (about 1.7k
 * instructions per 3-limit pipeline evaluation, under callgrind; docs/design-notes.md).
 */
function specClass<S extends LimitSpec>(): new (fields: S) => S {
  return class {
    constructor(fields: S) {
      Object.assign(this, fields);
      Object.freeze(this);
    }
  } as unknown as new (fields: S) => S;
}

const FixedWindow = specClass<FixedWindowSpec>();
const SlidingWindow = specClass<SlidingWindowSpec>();
const SlidingLog = specClass<SlidingLogSpec>();
const TokenBucket = specClass<TokenBucketSpec>();
const Gcra = specClass<GcraSpec>();
const CalendarQuota = specClass<CalendarSpec>();
const Concurrency = specClass<ConcurrencySpec>();
const Holds = specClass<HoldsSpec>();

/** At most `limit` per epoch-aligned window of `windowMs`. */
export function fixedWindow(options: { limit: number; windowMs: number }): FixedWindowSpec {
  return new FixedWindow({
    kind: "fixed_window",
    limit: positiveInteger("limit", options.limit),
    windowMs: positiveInteger("windowMs", options.windowMs),
  });
}

/**
 * Weighted sliding window of `windowMs`, cut into `buckets` sub-windows (default 1: the
 * two-window counter). `windowMs` must be a multiple of `buckets` so that sub-window edges
 * are whole milliseconds, identical in memory and in Redis.
 */
export function slidingWindow(options: { limit: number; windowMs: number; buckets?: number }): SlidingWindowSpec {
  const limit = positiveInteger("limit", options.limit);
  const windowMs = positiveInteger("windowMs", options.windowMs);
  const buckets = positiveInteger("buckets", options.buckets ?? 1, MAX_BUCKETS);
  if (windowMs % buckets !== 0) {
    throw new LimitSpecError("buckets", `windowMs (${windowMs}) must be a multiple of buckets (${buckets})`);
  }
  return new SlidingWindow({
    kind: "sliding_window", limit, windowMs, buckets,
    bucketMs: windowMs / buckets,
    cap: Math.floor((limit * (buckets + 1)) / buckets),
  });
}

/** Exact sliding log: at most `limit` (≤ 1000) in any window of `windowMs`. */
export function slidingLog(options: { limit: number; windowMs: number }): SlidingLogSpec {
  return new SlidingLog({
    kind: "sliding_log",
    limit: positiveInteger("limit", options.limit, MAX_SLIDING_LOG_LIMIT),
    windowMs: positiveInteger("windowMs", options.windowMs),
  });
}

/** Token bucket holding `capacity` tokens (the burst), refilled at `refillPerSecond`. */
export function tokenBucket(options: { capacity: number; refillPerSecond: number }): TokenBucketSpec {
  const refillPerSecond = positiveNumber("refillPerSecond", options.refillPerSecond);
  return new TokenBucket({
    kind: "token_bucket",
    capacity: positiveInteger("capacity", options.capacity),
    refillPerSecond,
    refillPerMs: refillPerSecond / 1000,
  });
}

/** GCRA: `rate` per `periodMs`, `burst` (default 1) at once. */
export function gcra(options: { rate: number; periodMs: number; burst?: number }): GcraSpec {
  const rate = positiveInteger("rate", options.rate);
  const periodMs = positiveInteger("periodMs", options.periodMs);
  const burst = positiveInteger("burst", options.burst ?? 1);
  const emissionMs = periodMs / rate;
  return new Gcra({ kind: "gcra", rate, periodMs, burst, emissionMs, toleranceMs: emissionMs * burst });
}

/** At most `limit` per calendar day or month in `timeZone` (an IANA name; default UTC). */
export function calendarQuota(options: { limit: number; period: "day" | "month"; timeZone?: string }): CalendarSpec {
  const limit = positiveInteger("limit", options.limit);
  if (options.period !== "day" && options.period !== "month") {
    throw new LimitSpecError("period", `must be "day" or "month", got ${String(options.period)}`);
  }
  const timeZone = options.timeZone ?? "UTC";
  let periodAt: CalendarSpec["periodAt"];
  try {
    periodAt = calendarPeriods(options.period, timeZone);
  } catch (cause) {
    throw new LimitSpecError("timeZone", `"${timeZone}" is not an IANA time zone (${(cause as Error).message})`);
  }
  return new CalendarQuota({ kind: "calendar", limit, period: options.period, timeZone, periodAt });
}

/** At most `limit` requests in flight; a lease not released within `leaseMs` lapses. */
export function concurrency(options: { limit: number; leaseMs: number }): ConcurrencySpec {
  return new Concurrency({
    kind: "concurrency",
    limit: positiveInteger("limit", options.limit, MAX_LEASES),
    leaseMs: positiveInteger("leaseMs", options.leaseMs),
  });
}

/** At most `limit` units held at once; each held amount lapses after `ttlMs`. */
export function holds(options: { limit: number; ttlMs: number }): HoldsSpec {
  return new Holds({
    kind: "holds",
    limit: positiveInteger("limit", options.limit, MAX_LEASES),
    ttlMs: positiveInteger("ttlMs", options.ttlMs),
  });
}
