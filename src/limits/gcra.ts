/**
 * GCRA, the generic cell rate algorithm (hand-written, see types.ts), in its virtual
 * scheduling form: one number per key, the theoretical arrival time (TAT). A request of cost c
 * conforms when max(TAT, now) + c·T − now ≤ τ, with T the emission interval and τ = T·burst;
 * for c = 1 this is the ATM test `now ≥ TAT − (burst − 1)·T`.
 */

import type { GcraSpec, GcraState, Step } from "./types.ts";

/** Admits `cost` at `now` under GCRA. */
export function admitGcra(spec: GcraSpec, state: GcraState | undefined, cost: number, now: number): Step<GcraState> {
  const tat = state === undefined || state.tat < now ? now : state.tat;
  const next = tat + spec.emissionMs * cost;
  if (next - now <= spec.toleranceMs) {
    return {
      allowed: true,
      remaining: Math.max(0, Math.floor((spec.toleranceMs - (next - now)) / spec.emissionMs)),
      resetMs: Math.ceil(next - now), retryAfterMs: 0, state: { tat: next },
    };
  }
  const resetMs = Math.ceil(tat - now);
  const retryAfterMs = cost > spec.burst ? resetMs : Math.max(1, Math.ceil(next - now - spec.toleranceMs));
  return {
    allowed: false,
    remaining: Math.max(0, Math.floor((spec.toleranceMs - (tat - now)) / spec.emissionMs)),
    resetMs, retryAfterMs, state: { tat },
  };
}

export function chargeGcra(spec: GcraSpec, state: GcraState | undefined, cost: number, now: number): GcraState {
  const tat = state === undefined || state.tat < now ? now : state.tat;
  return { tat: tat + spec.emissionMs * cost };
}

export function gcraExpiry(state: GcraState): number {
  return Math.ceil(state.tat);
}
