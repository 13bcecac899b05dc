/**
 * Turns limit items and settle ops into the Lua script's KEYS and ARGV (8 slots per item), and
 * builds the Redis key of a limit: `<prefix>{<group>}:<key>`, the group being the hash tag
 * that keeps one admission's keys on one Redis Cluster shard.
 */

import type { LimitSpec } from "../../limits/types.ts";

/** Kind codes understood by the script, and the spec's 4 parameters. */
function params(spec: LimitSpec, now: number): readonly string[] {
  switch (spec.kind) {
    case "fixed_window": return ["fw", String(spec.limit), String(spec.windowMs), "0", "0"];
    case "sliding_window": return ["sw", String(spec.limit), String(spec.bucketMs), String(spec.buckets), String(spec.cap)];
    case "sliding_log": return ["log", String(spec.limit), String(spec.windowMs), "0", "0"];
    // String(x) is the shortest round-trip form: Lua's tonumber reads back the same double.
    case "token_bucket": return ["tb", String(spec.capacity), String(spec.refillPerMs), "0", "0"];
    case "gcra": return ["gcra", String(spec.emissionMs), String(spec.toleranceMs), String(spec.burst), "0"];
    case "calendar": {
      // Lua has no time-zone database: the period is computed here, at the same `now`.
      const period = spec.periodAt(now);
      return ["cal", String(spec.limit), String(period.start), String(period.end), "0"];
    }
    case "concurrency": return ["cc", String(spec.limit), String(spec.leaseMs), "0", "0"];
    case "holds": return ["hold", String(spec.limit), String(spec.ttlMs), "0", "0"];
  }
}

/**
 * The 5 parameter slots of every spec but calendars, formatted once: specs are frozen objects
 * made at construction (one per rule and tier), so the hot path only looks them up.
 */
const formatted = new WeakMap<LimitSpec, readonly string[]>();
const NONE: readonly string[] = ["fw", "0", "1", "0", "0"];

function slotsOf(spec: LimitSpec | undefined, now: number): readonly string[] {
  if (spec === undefined) return NONE;
  if (spec.kind === "calendar") return params(spec, now);
  let slots = formatted.get(spec);
  if (slots === undefined) {
    slots = params(spec, now);
    formatted.set(spec, slots);
  }
  return slots;
}

/** Appends one item's 8 slots to `argv`. */
export function pushItem(argv: string[], spec: LimitSpec | undefined, now: number, cost: number, flag: string, lease: string): void {
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
