/**
 * RateLimit-Policy and RateLimit header fields as in draft-ietf-httpapi-ratelimit-headers-11:
 * structured-field lists of named policies (`"per_ip";q=20;w=60`) and of their current state
 * (`"per_ip";r=19;t=60`), plus Retry-After on a refusal. Policy names are config names
 * ([A-Za-z0-9_.-]), so they never need escaping inside a quoted string.
 */
import type { ItemOutcome } from "../../store/limits.ts";
import { quotaOf, type LimitSpec } from "../types.ts";

export const RETRY_AFTER = "retry-after";

/** Quota unit (`qu`): requests is the draft's default and is left out. */
function unitOf(spec: LimitSpec, count: "all" | "failures" | "response_bytes"): string | undefined {
  if (count === "response_bytes") return "content-bytes";
  if (spec.kind === "concurrency") return "concurrent-requests";
  return undefined;
}

/** One policy item: `"name";q=QUOTA[;qu="UNIT"][;w=SECONDS]`. */
export function policyItem(name: string, spec: LimitSpec, count: "all" | "failures" | "response_bytes", windowSeconds: number | undefined): string {
  const unit = unitOf(spec, count);
  let item = `"${name}";q=${quotaOf(spec)}`;
  if (unit !== undefined) item += `;qu="${unit}"`;
  if (windowSeconds !== undefined) item += `;w=${Math.max(1, Math.ceil(windowSeconds))}`;
  return item;
}

/** One state item: `"name";r=REMAINING;t=SECONDS` (t rounded up: a client that waits t is never early). */
export function stateItem(name: string, outcome: ItemOutcome): string {
  return stateText(`"${name}";r=`, outcome.remaining, outcome.resetMs);
}

/**
 * A state item from its prepared head (`"name";r=`, see PreparedRule.stateHead): the hot path
 * builds the RateLimit value by concatenation only, without an outcome copy per item.
 */
export function stateText(head: string, remaining: number, resetMs: number): string {
  return head + Math.max(0, Math.floor(remaining)) + ";t=" + Math.max(0, Math.ceil(resetMs / 1000));
}

/** Retry-After in whole seconds, at least 1 (RFC 9110 §10.2.3 delay-seconds). */
export function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}

/** The two headers for a set of policies and their outcomes, in the same order. */
export function rateLimitHeaders(names: readonly string[], policies: readonly string[], outcomes: readonly ItemOutcome[]): Record<string, string> {
  let state = "";
  for (let i = 0; i < names.length; i++) state += (i === 0 ? "" : ", ") + stateItem(names[i]!, outcomes[i]!);
  return rateLimitHeaderPair(policies.join(", "), state);
}

/** The two fields as response headers. Literal keys: a computed-key literal takes V8's slow path on every request. */
export function rateLimitHeaderPair(policy: string, state: string): Record<string, string> {
  return { "ratelimit-policy": policy, ratelimit: state };
}
