/**
 * Exact sliding log (hand-written, see types.ts): every admitted request is remembered with its
 * cost for one window, so no window of length W ever holds more than the limit. Memory grows
 * with the limit, hence the cap on it (spec.ts); zero-cost requests are not remembered.
 */

import type { SlidingLogSpec, SlidingLogState, Step } from "./types.ts";

const EMPTY: SlidingLogState = Object.freeze({ times: Object.freeze([]), costs: Object.freeze([]) });

/** Entries still inside the window `(now − W, now]` (entries stamped later than now are kept). */
function live(spec: SlidingLogSpec, state: SlidingLogState | undefined, now: number): SlidingLogState {
  if (state === undefined) return EMPTY;
  const cutoff = now - spec.windowMs;
  let first = 0;
  while (first < state.times.length && state.times[first]! <= cutoff) first++;
  return first === 0 ? state : { times: state.times.slice(first), costs: state.costs.slice(first) };
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** Inserts (now, cost) keeping times ascending (a lagging clock may stamp before the newest). */
function append(state: SlidingLogState, cost: number, now: number): SlidingLogState {
  if (cost <= 0) return state;
  let at = state.times.length;
  while (at > 0 && state.times[at - 1]! > now) at--;
  const times = state.times.slice(), costs = state.costs.slice();
  times.splice(at, 0, now);
  costs.splice(at, 0, cost);
  return { times, costs };
}

function resetAfter(spec: SlidingLogSpec, view: SlidingLogState, now: number): number {
  const newest = view.times[view.times.length - 1];
  return newest === undefined ? 0 : Math.max(0, newest + spec.windowMs - now);
}

/** Admits `cost` at `now` against an exact sliding log. */
export function admitSlidingLog(spec: SlidingLogSpec, state: SlidingLogState | undefined, cost: number, now: number): Step<SlidingLogState> {
  const view = live(spec, state, now);
  const used = sum(view.costs);
  if (used + cost <= spec.limit) {
    const next = append(view, cost, now);
    return { allowed: true, remaining: spec.limit - used - cost, resetMs: resetAfter(spec, next, now), retryAfterMs: 0, state: next };
  }
  const resetMs = resetAfter(spec, view, now);
  let retryAfterMs = resetMs;
  if (cost <= spec.limit) {
    // The oldest entries leave first; wait until enough of them have left.
    const need = used + cost - spec.limit;
    let freed = 0;
    for (let i = 0; i < view.times.length; i++) {
      freed += view.costs[i]!;
      if (freed >= need) { retryAfterMs = Math.max(1, view.times[i]! + spec.windowMs - now); break; }
    }
  }
  return { allowed: false, remaining: Math.max(0, spec.limit - used), resetMs, retryAfterMs, state: view };
}

export function chargeSlidingLog(spec: SlidingLogSpec, state: SlidingLogState | undefined, cost: number, now: number): SlidingLogState {
  return append(live(spec, state, now), cost, now);
}

export function slidingLogExpiry(spec: SlidingLogSpec, state: SlidingLogState): number {
  const newest = state.times[state.times.length - 1];
  return newest === undefined ? 0 : newest + spec.windowMs;
}
