/**
 * The penalty box: a client that exceeds a limit with `penalty` set is blocked through
 * Controls for the penalty's TTL, on every route and (with shared Controls) every instance —
 * the gate turns it away before any limit is even counted. The block is written off the
 * request's path: the refusal at hand does not wait for it, and a store that cannot take it
 * is reported, never thrown.
 */
import type { RateLimitConfig, RateLimitRule } from "../../config/config.ts";
import type { Controls, RequestFacts } from "../../engine/index.ts";
import { ipBucket, MISSING } from "../normalize.ts";

export interface PenaltyError {
  readonly limit: string;
  readonly message: string;
}

/** Blocks the client `rule.penalty` names (its address or prefix); does nothing without one. */
export function penalize(
  rule: RateLimitRule,
  facts: RequestFacts,
  controls: Controls,
  settings: Pick<RateLimitConfig, "prefixV4" | "prefixV6">,
  onError: (error: PenaltyError) => void,
): void {
  const penalty = rule.penalty;
  if (penalty === undefined) return;
  const value = penalty.block === "prefix" ? ipBucket(facts.clientIp, settings.prefixV4, settings.prefixV6) : facts.clientIp;
  if (value === MISSING) return;
  const kind = penalty.block === "prefix" && value.includes("/") ? "prefix" : "ip";
  controls
    .addBlock({
      kind,
      value,
      reason: `rate limit ${rule.name} exceeded`,
      author: `penalty:${rule.name}`,
      source: "penalty",
      ttlMs: penalty.ttlMs,
    })
    .catch((error: unknown) => onError({ limit: rule.name, message: error instanceof Error ? error.message : String(error) }));
}
