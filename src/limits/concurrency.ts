/**
 * Concurrency (hand-written, see types.ts): requests in flight per key. Admission takes a lease
 * named by the caller; the response's end or abort releases it. A lease that is never released
 * (a crashed instance, a lost release) lapses after `leaseMs`, so a key cannot stay full forever.
 */

import type { ConcurrencySpec, ConcurrencyState, Step } from "./types.ts";

const EMPTY: ConcurrencyState = Object.freeze({ ids: Object.freeze([]), expires: Object.freeze([]), weights: Object.freeze([]) });

/** Leases not yet lapsed at `now`. */
function live(state: ConcurrencyState | undefined, now: number): ConcurrencyState {
  if (state === undefined) return EMPTY;
  let first = 0;
  while (first < state.expires.length && state.expires[first]! <= now) first++;
  if (first === 0) return state;
  return { ids: state.ids.slice(first), expires: state.expires.slice(first), weights: state.weights.slice(first) };
}

function used(state: ConcurrencyState): number {
  let total = 0;
  for (const w of state.weights) total += w;
  return total;
}

function lastExpiry(state: ConcurrencyState, now: number): number {
  const last = state.expires[state.expires.length - 1];
  return last === undefined ? 0 : Math.max(0, last - now);
}

/** Takes a lease `lease` of weight `cost` at `now` unless `limit` would be passed. */
export function acquire(spec: ConcurrencySpec, state: ConcurrencyState | undefined, cost: number, now: number, lease: string): Step<ConcurrencyState> {
  const view = live(state, now);
  const inFlight = used(view);
  if (inFlight + cost <= spec.limit) {
    const expires = now + spec.leaseMs;
    let at = view.expires.length;
    while (at > 0 && view.expires[at - 1]! > expires) at--;
    const ids = view.ids.slice(), exp = view.expires.slice(), weights = view.weights.slice();
    ids.splice(at, 0, lease); exp.splice(at, 0, expires); weights.splice(at, 0, cost);
    const next = { ids, expires: exp, weights };
    return { allowed: true, remaining: spec.limit - inFlight - cost, resetMs: lastExpiry(next, now), retryAfterMs: 0, state: next };
  }
  const resetMs = lastExpiry(view, now);
  let retryAfterMs = resetMs;
  if (cost <= spec.limit) {
    // An upper bound: releases usually come much sooner than lapses.
    let freed = 0;
    for (let i = 0; i < view.weights.length; i++) {
      freed += view.weights[i]!;
      if (inFlight - freed + cost <= spec.limit) { retryAfterMs = Math.max(1, view.expires[i]! - now); break; }
    }
  }
  return { allowed: false, remaining: Math.max(0, spec.limit - inFlight), resetMs, retryAfterMs, state: view };
}

/** Gives back the lease `lease`; releasing an unknown or lapsed lease changes nothing. */
export function release(state: ConcurrencyState | undefined, lease: string, now: number): ConcurrencyState {
  const view = live(state, now);
  const at = view.ids.indexOf(lease);
  if (at < 0) return view;
  const ids = view.ids.slice(), expires = view.expires.slice(), weights = view.weights.slice();
  ids.splice(at, 1); expires.splice(at, 1); weights.splice(at, 1);
  return { ids, expires, weights };
}

export function concurrencyExpiry(state: ConcurrencyState): number {
  return state.expires[state.expires.length - 1] ?? 0;
}

/** Leases in flight at `now` (for tests and metrics). */
export function inFlight(state: ConcurrencyState | undefined, now: number): number {
  return used(live(state, now));
}
