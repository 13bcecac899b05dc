/**
 * Token bucket (hand-written, see types.ts): `capacity` tokens, refilled continuously; a
 * request takes `cost` tokens. The burst is the capacity, the long-run rate the refill rate.
 * Tokens may go below zero only through `charge` (cost known after the response, e.g. bytes):
 * the debt is repaid by refill before anything else is admitted.
 */

import type { Step, TokenBucketSpec, TokenBucketState } from "./types.ts";

/** Tokens available at `now`; a clock behind the stored one refills nothing. */
function level(spec: TokenBucketSpec, state: TokenBucketState | undefined, now: number): TokenBucketState {
  if (state === undefined) return { tokens: spec.capacity, at: now };
  if (now <= state.at) return state;
  return { tokens: Math.min(spec.capacity, state.tokens + (now - state.at) * spec.refillPerMs), at: now };
}

function untilFull(spec: TokenBucketSpec, tokens: number): number {
  return Math.max(0, Math.ceil((spec.capacity - tokens) / spec.refillPerMs));
}

/** Admits `cost` at `now` against a token bucket. */
export function admitTokenBucket(spec: TokenBucketSpec, state: TokenBucketState | undefined, cost: number, now: number): Step<TokenBucketState> {
  const current = level(spec, state, now);
  if (current.tokens >= cost) {
    const tokens = current.tokens - cost;
    return { allowed: true, remaining: Math.floor(tokens), resetMs: untilFull(spec, tokens), retryAfterMs: 0, state: { tokens, at: current.at } };
  }
  const resetMs = untilFull(spec, current.tokens);
  const retryAfterMs = cost > spec.capacity ? resetMs : Math.max(1, Math.ceil((cost - current.tokens) / spec.refillPerMs));
  return { allowed: false, remaining: Math.max(0, Math.floor(current.tokens)), resetMs, retryAfterMs, state: current };
}

export function chargeTokenBucket(spec: TokenBucketSpec, state: TokenBucketState | undefined, cost: number, now: number): TokenBucketState {
  const current = level(spec, state, now);
  return { tokens: current.tokens - cost, at: current.at };
}

/** The bucket is full again (equivalent to no state) at this instant. */
export function tokenBucketExpiry(spec: TokenBucketSpec, state: TokenBucketState): number {
  return state.at + untilFull(spec, state.tokens);
}
