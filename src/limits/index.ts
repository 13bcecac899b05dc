/** The limits module's public surface: spec factories, the algorithm entry points, key normalization. */
export { admitLimit, chargeLimit, expiryOf, type LimitState } from "./algorithm.ts";
export { calendarPeriods } from "./calendar-period.ts";
export { inFlight, release } from "./concurrency.ts";
export { held, lower } from "./holds.ts";
export {
  boundPart, compoundKey, ipBucket, MAX_KEY_PART, MISSING, normalizeEmail, normalizePhone, normalizeText,
} from "./normalize.ts";
export {
  calendarQuota, concurrency, fixedWindow, gcra, holds, LimitSpecError, MAX_BUCKETS, MAX_LEASES,
  MAX_SLIDING_LOG_LIMIT, slidingLog, slidingWindow, tokenBucket,
} from "./spec.ts";
export {
  quotaOf, type CalendarSpec, type ConcurrencySpec, type FixedWindowSpec, type GcraSpec, type HoldsSpec,
  type LimitKind, type LimitSpec, type LimitVerdict, type Period, type SlidingLogSpec, type SlidingWindowSpec,
  type Step, type TokenBucketSpec,
} from "./types.ts";
