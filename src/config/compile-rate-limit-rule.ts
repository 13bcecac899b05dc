/**
 * Compiles one rate limit of rampart.yaml: which options each algorithm takes, the spec built
 * by the limits' validating factories (which throw LimitSpecError for the caller to place at
 * its key), the count mode, the cost, and the action when the limit is exceeded.
 */
import {
  calendarQuota, concurrency, fixedWindow, gcra, holds, slidingLog, slidingWindow, tokenBucket,
} from "../limits/spec.ts";
import type { LimitSpec } from "../limits/types.ts";
import type { ExceedAction, LimitCost, LimitDimension, RateLimitRule } from "./config.ts";
import type { CompileContext } from "./compile-context.ts";
import type { KeyPath } from "./positions.ts";
import type { LIMIT_ALGORITHMS, RampartOptions } from "./schema.ts";

type RuleOptions = NonNullable<RampartOptions["routes"][number]["rate_limits"]>[number];
type Algorithm = (typeof LIMIT_ALGORITHMS)[number];

/** Called for each `body.*` reference: reports at `path` when the route cannot provide a body. */
export type BodyCheck = (path: KeyPath, field: string) => void;

export interface RuleDefaults {
  readonly algorithm: Algorithm;
  readonly onExceed: ExceedAction;
  readonly onStoreError: "open" | "closed";
}

const ALGORITHM_OPTIONS = ["limit", "window", "buckets", "burst", "rate", "per", "time_zone", "lease", "ttl"] as const;
type AlgorithmOption = (typeof ALGORITHM_OPTIONS)[number];

/** Options each algorithm needs, then those it also accepts. */
const TAKES: Readonly<Record<Algorithm, { readonly needs: readonly AlgorithmOption[]; readonly accepts: readonly AlgorithmOption[] }>> = {
  sliding_window: { needs: ["limit", "window"], accepts: ["buckets"] },
  sliding_log: { needs: ["limit", "window"], accepts: [] },
  fixed_window: { needs: ["limit", "window"], accepts: [] },
  token_bucket: { needs: ["burst", "rate"], accepts: ["window"] },
  gcra: { needs: ["rate"], accepts: ["window", "burst"] },
  quota: { needs: ["limit", "per"], accepts: ["time_zone"] },
  concurrency: { needs: ["limit"], accepts: ["lease"] },
  hold: { needs: ["limit"], accepts: ["ttl"] },
};

/** A lease outlives any request (the listener's request timeout defaults to 60 s) before it lapses. */
const DEFAULT_LEASE_MS = 120_000;
const DEFAULT_HOLD_TTL_MS = 15 * 60_000;
const DEFAULT_MAX_DELAY_MS = 1000;
const DEFAULT_TARPIT_MS = 5000;
const DEFAULT_FAILURE_STATUS: readonly number[] = [401, 403];

/**
 * Builds everything of a rule but its key. Undefined when an option is missing or misplaced
 * (already reported); throws LimitSpecError for a value the spec factory refuses.
 */
export function buildSpec(ctx: CompileContext, at: KeyPath, raw: RuleOptions, defaults: RuleDefaults): Omit<RateLimitRule, "key"> | undefined {
  const algorithm = raw.algorithm ?? defaults.algorithm;
  const takes = TAKES[algorithm];
  let ok = true;
  for (const option of ALGORITHM_OPTIONS) {
    if (raw[option] === undefined || takes.needs.includes(option) || takes.accepts.includes(option)) continue;
    ctx.error([...at, option], `does not apply to algorithm ${algorithm} (it takes ${[...takes.needs, ...takes.accepts].join(", ")})`, "RAMPART_ERR_CONFIG_INVALID", "key");
    ok = false;
  }
  const missing = takes.needs.filter((option) => raw[option] === undefined);
  if (missing.length > 0) {
    ctx.error(at, `algorithm ${algorithm} needs ${missing.map((o) => `"${o}"`).join(" and ")}`);
    ok = false;
  }
  const countOk = checkCount(ctx, at, raw, algorithm);
  const onExceed = raw.on_exceed ?? defaults.onExceed;
  if (raw.max_delay !== undefined && onExceed !== "delay") ctx.error([...at, "max_delay"], "applies to on_exceed: delay only", "RAMPART_ERR_CONFIG_INVALID", "key");
  if (raw.tarpit_for !== undefined && onExceed !== "tarpit") ctx.error([...at, "tarpit_for"], "applies to on_exceed: tarpit only", "RAMPART_ERR_CONFIG_INVALID", "key");
  if (!ok || !countOk) return undefined;

  const { spec, windowSeconds } = specOf(ctx, at, raw, algorithm);
  return {
    name: raw.name,
    spec,
    onExceed,
    maxDelayMs: ctx.duration([...at, "max_delay"], raw.max_delay, DEFAULT_MAX_DELAY_MS),
    tarpitMs: ctx.duration([...at, "tarpit_for"], raw.tarpit_for, DEFAULT_TARPIT_MS),
    count: raw.count ?? "all",
    failureStatus: new Set(raw.failure_status ?? DEFAULT_FAILURE_STATUS),
    resetOnSuccess: raw.reset_on_success ?? false,
    cost: costOf(ctx, at, raw, spec),
    onStoreError: raw.on_store_error ?? defaults.onStoreError,
    windowSeconds,
    penalty: raw.penalty === undefined
      ? undefined
      : { ttlMs: ctx.duration([...at, "penalty", "ttl"], raw.penalty.ttl, 0), block: raw.penalty.block ?? "ip" },
  };
}

function specOf(ctx: CompileContext, at: KeyPath, raw: RuleOptions, algorithm: Algorithm): { spec: LimitSpec; windowSeconds: number | undefined } {
  const limit = raw.limit ?? 0;
  const ms = (key: "window" | "lease" | "ttl", fallback: number) => ctx.duration([...at, key], raw[key], fallback);
  switch (algorithm) {
    case "sliding_window": {
      const spec = slidingWindow({ limit, windowMs: ms("window", 0), ...(raw.buckets === undefined ? {} : { buckets: raw.buckets }) });
      return { spec, windowSeconds: spec.windowMs / 1000 };
    }
    case "sliding_log": {
      const spec = slidingLog({ limit, windowMs: ms("window", 0) });
      return { spec, windowSeconds: spec.windowMs / 1000 };
    }
    case "fixed_window": {
      const spec = fixedWindow({ limit, windowMs: ms("window", 0) });
      return { spec, windowSeconds: spec.windowMs / 1000 };
    }
    case "token_bucket": {
      const windowMs = ms("window", 1000);
      const spec = tokenBucket({ capacity: raw.burst ?? 0, refillPerSecond: ((raw.rate ?? 0) * 1000) / windowMs });
      // Time for an empty bucket to fill again: the window the burst is advertised over.
      return { spec, windowSeconds: Math.ceil(spec.capacity / spec.refillPerSecond) };
    }
    case "gcra": {
      const spec = gcra({ rate: raw.rate ?? 0, periodMs: ms("window", 1000), ...(raw.burst === undefined ? {} : { burst: raw.burst }) });
      return { spec, windowSeconds: Math.max(1, Math.ceil(spec.toleranceMs / 1000)) };
    }
    case "quota": {
      const spec = calendarQuota({ limit, period: raw.per ?? "day", ...(raw.time_zone === undefined ? {} : { timeZone: raw.time_zone }) });
      // A month has no fixed length: RateLimit-Policy then leaves `w` out.
      return { spec, windowSeconds: spec.period === "day" ? 86_400 : undefined };
    }
    case "concurrency":
      return { spec: concurrency({ limit, leaseMs: ms("lease", DEFAULT_LEASE_MS) }), windowSeconds: undefined };
    case "hold": {
      const spec = holds({ limit, ttlMs: ms("ttl", DEFAULT_HOLD_TTL_MS) });
      return { spec, windowSeconds: Math.ceil(spec.ttlMs / 1000) };
    }
  }
}

/** `failures` and `response_bytes` are charged after the response: only counters can take that. */
function checkCount(ctx: CompileContext, at: KeyPath, raw: RuleOptions, algorithm: Algorithm): boolean {
  const count = raw.count ?? "all";
  let ok = true;
  if (count !== "all" && (algorithm === "concurrency" || algorithm === "hold")) {
    ctx.error([...at, "count"], `count: ${count} needs a counting algorithm; ${algorithm} counts what is in flight or held`);
    ok = false;
  }
  if (raw.failure_status !== undefined && count !== "failures") {
    ctx.error([...at, "failure_status"], "applies to count: failures only", "RAMPART_ERR_CONFIG_INVALID", "key");
    ok = false;
  }
  if (count === "response_bytes" && raw.cost !== undefined) {
    ctx.error([...at, "cost"], "count: response_bytes takes the answer's size as the cost", "RAMPART_ERR_CONFIG_INVALID", "key");
    ok = false;
  }
  return ok;
}

function costOf(ctx: CompileContext, at: KeyPath, raw: RuleOptions, spec: LimitSpec): LimitCost {
  const cost = raw.cost;
  if (typeof cost !== "string") {
    for (const key of ["max_cost", "default_cost"] as const) {
      if (raw[key] !== undefined) ctx.error([...at, key], "applies to a cost read from the request (cost: query.NAME)", "RAMPART_ERR_CONFIG_INVALID", "key");
    }
    return { kind: "fixed", value: cost ?? 1 };
  }
  const dot = cost.indexOf(".");
  const max = raw.max_cost ?? quotaUnits(spec);
  const fallback = raw.default_cost ?? max;
  if (fallback > max) ctx.error([...at, "default_cost"], `must not be above max_cost (${max})`);
  // A missing or malformed cost is charged the default (the maximum unless set): never a free pass.
  return { kind: "field", source: cost.slice(0, dot) as "query" | "header" | "body", name: cost.slice(dot + 1), max, fallback };
}

function quotaUnits(spec: LimitSpec): number {
  switch (spec.kind) {
    case "token_bucket": return spec.capacity;
    case "gcra": return spec.burst;
    default: return spec.limit;
  }
}

const SIMPLE = new Set(["ip", "ip_prefix", "key_id", "subject", "session", "route", "global", "asn", "country"]);

/** `body.username` → `{ kind: "body", name: "username" }` (checked against the route by `check`). */
export function parseDimension(text: string, path: KeyPath, check: BodyCheck): LimitDimension {
  if (SIMPLE.has(text)) return { kind: text as "ip" };
  const dot = text.indexOf(".");
  const kind = text.slice(0, dot) as "header" | "query" | "body";
  const name = text.slice(dot + 1);
  if (kind === "body") check(path, text);
  return { kind, name: kind === "header" ? name.toLowerCase() : name };
}
