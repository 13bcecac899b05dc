/**
 * Risk tiers scale limits: a trusted client gets more, a suspicious one less. Each limit's
 * spec is scaled once per tier at construction (through the same validating factories), so
 * the hot path only picks one of three prepared specs.
 */
import type { Tier } from "../../engine/index.ts";
import {
  calendarQuota, concurrency, fixedWindow, gcra, holds, MAX_LEASES, MAX_SLIDING_LOG_LIMIT, slidingLog, slidingWindow, tokenBucket,
} from "../spec.ts";
import type { LimitSpec } from "../types.ts";

/** The tiers a limit distinguishes (`blocked` requests are denied before any limit). */
export type LimitTier = "trusted" | "normal" | "suspicious";

export type TierFactors = Readonly<Record<LimitTier, number>>;

export type TierSpecs = Readonly<Record<LimitTier, LimitSpec>>;

export function limitTier(tier: Tier): LimitTier {
  return tier === "trusted" || tier === "suspicious" ? tier : "normal";
}

/** The spec for each tier. */
export function tierSpecs(spec: LimitSpec, factors: TierFactors): TierSpecs {
  return Object.freeze({
    trusted: scaleSpec(spec, factors.trusted),
    normal: scaleSpec(spec, factors.normal),
    suspicious: scaleSpec(spec, factors.suspicious),
  });
}

/** A limit as one request meets it: the spec to admit against and its RateLimit-Policy item. */
export interface TierLimit {
  readonly spec: LimitSpec;
  readonly policy: string;
}

/** The adaptive load factor is rounded to 1/LOAD_LEVELS, so a limit has at most that many scaled specs per tier. */
export const LOAD_LEVELS = 20;

/**
 * Kinds the adaptive load factor scales. Calendar quotas and holds are business budgets (a
 * month's allowance, items in a cart), not rates: shrinking them for a minute of overload
 * would lock out a customer who has used most of the month; shedding protects the backend.
 */
const LOAD_SCALED: ReadonlySet<LimitSpec["kind"]> = new Set(["fixed_window", "sliding_window", "sliding_log", "token_bucket", "gcra", "concurrency"]);

/**
 * The limit of a tier under the adaptive load factor (in (0, 1], 1 = no load). Trusted clients
 * are never scaled down: they must keep being served while the backend is overloaded. Scaled
 * specs are made through the validating factories on first use of a level and kept.
 */
export function loadScaling(spec: LimitSpec, factors: TierFactors, full: Readonly<Record<LimitTier, TierLimit>>, describe: (spec: LimitSpec) => string): (tier: LimitTier, load: number) => TierLimit {
  if (!LOAD_SCALED.has(spec.kind)) return (tier) => full[tier];
  const levels: Record<"normal" | "suspicious", (TierLimit | undefined)[]> = { normal: [], suspicious: [] };
  return (tier, load) => {
    if (tier === "trusted") return full.trusted;
    const level = Math.max(1, Math.round(load * LOAD_LEVELS));
    if (!(level < LOAD_LEVELS)) return full[tier];
    let scaled = levels[tier][level];
    if (scaled === undefined) {
      const at = scaleSpec(spec, factors[tier] * (level / LOAD_LEVELS));
      scaled = { spec: at, policy: describe(at) };
      levels[tier][level] = scaled;
    }
    return scaled;
  };
}

/**
 * `spec` with its allowance multiplied by `factor` (rounded down, never below 1): counts,
 * bursts and refill rates scale; windows, periods, leases and TTLs do not.
 */
export function scaleSpec(spec: LimitSpec, factor: number): LimitSpec {
  if (factor === 1) return spec;
  const scale = (n: number, max = Number.MAX_SAFE_INTEGER) => Math.min(max, Math.max(1, Math.floor(n * factor)));
  switch (spec.kind) {
    case "fixed_window": return fixedWindow({ limit: scale(spec.limit), windowMs: spec.windowMs });
    case "sliding_window": return slidingWindow({ limit: scale(spec.limit), windowMs: spec.windowMs, buckets: spec.buckets });
    case "sliding_log": return slidingLog({ limit: scale(spec.limit, MAX_SLIDING_LOG_LIMIT), windowMs: spec.windowMs });
    case "token_bucket": return tokenBucket({ capacity: scale(spec.capacity), refillPerSecond: spec.refillPerSecond * factor });
    case "gcra": return gcra({ rate: scale(spec.rate), periodMs: spec.periodMs, burst: scale(spec.burst) });
    case "calendar": return calendarQuota({ limit: scale(spec.limit), period: spec.period, timeZone: spec.timeZone });
    case "concurrency": return concurrency({ limit: scale(spec.limit, MAX_LEASES), leaseMs: spec.leaseMs });
    case "holds": return holds({ limit: scale(spec.limit, MAX_LEASES), ttlMs: spec.ttlMs });
  }
}
