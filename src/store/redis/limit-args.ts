/**
 * Turns limit specs and settle ops into what the Lua script reads (settle: 8 text slots per op;
 * admissions are binary, see admission-batch.ts), and builds the Redis key of a limit:
 * `<prefix>{<group>}:<key>`, the group being the hash tag that keeps one admission's keys on
 * one Redis Cluster shard.
 */

import type { LimitSpec } from "../../limits/types.ts";

/** A spec as the script reads it: its kind code and 4 numbers. */
export type SpecParams = readonly [kind: string, p1: number, p2: number, p3: number, p4: number];

/** Kind codes, in the order of their binary codes (1-based): limit-script.ts builds its table from it. */
export const KIND_CODES: readonly string[] = ["fw", "sw", "log", "tb", "gcra", "cal", "cc", "hold"];

/** The script's kind code and 4 parameters of `spec` at `now` (calendars depend on it). */
function specParams(spec: LimitSpec, now: number): SpecParams {
  switch (spec.kind) {
    case "fixed_window": return ["fw", spec.limit, spec.windowMs, 0, 0];
    case "sliding_window": return ["sw", spec.limit, spec.bucketMs, spec.buckets, spec.cap];
    case "sliding_log": return ["log", spec.limit, spec.windowMs, 0, 0];
    case "token_bucket": return ["tb", spec.capacity, spec.refillPerMs, 0, 0];
    case "gcra": return ["gcra", spec.emissionMs, spec.toleranceMs, spec.burst, 0];
    case "calendar": {
      // Lua has no time-zone database: the period is computed here, at the same `now`.
      const period = spec.periodAt(now);
      return ["cal", spec.limit, period.start, period.end, 0];
    }
    case "concurrency": return ["cc", spec.limit, spec.leaseMs, 0, 0];
    case "holds": return ["hold", spec.limit, spec.ttlMs, 0, 0];
  }
}

/**
 * The parameters of every spec but calendars, computed once: specs are frozen objects made at
 * construction (one per rule and tier), so the hot path only looks them up.
 */
const computed = new WeakMap<LimitSpec, SpecParams>();

/** `specParams`, cached for every kind whose parameters do not depend on `now`. */
export function paramsOf(spec: LimitSpec, now: number): SpecParams {
  if (spec.kind === "calendar") return specParams(spec, now);
  let params = computed.get(spec);
  if (params === undefined) {
    params = specParams(spec, now);
    computed.set(spec, params);
  }
  return params;
}

const NONE: readonly string[] = ["fw", "0", "1", "0", "0"];

/** The spec's 5 text slots (settle calls, off the request path). */
function slotsOf(spec: LimitSpec | undefined, now: number): readonly string[] {
  if (spec === undefined) return NONE;
  const [kind, p1, p2, p3, p4] = paramsOf(spec, now);
  return [kind, String(p1), String(p2), String(p3), String(p4)];
}

/**
 * Appends one settle op's 8 slots to `argv`. String(x) is the shortest round-trip form, so Lua's
 * tonumber reads back the same double.
 */
export function pushSettleOp(argv: string[], spec: LimitSpec | undefined, now: number, cost: number, flag: string, lease: string): void {
  const slots = slotsOf(spec, now);
  argv.push(slots[0]!, slots[1]!, slots[2]!, slots[3]!, slots[4]!, cost === 1 ? "1" : String(cost), flag, lease);
}

/**
 * The hash tag of a group. Braces are escaped so that a group name can never end the tag early
 * or leave it empty (`{}` is ignored by Redis Cluster, which would scatter the keys).
 */
export function hashTag(group: string): string {
  const escaped = group.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
  return `{${escaped === "" ? "_" : escaped}}`;
}

/** What every Redis key of `group` starts with: `<prefix>{<group>}:`. */
export function groupPrefix(prefix: string, group: string): string {
  return `${prefix}${hashTag(group)}:`;
}

/** The Redis key of `key` in `group`. */
export function redisKey(prefix: string, group: string, key: string): string {
  return groupPrefix(prefix, group) + key;
}
