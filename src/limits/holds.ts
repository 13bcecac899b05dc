/**
 * Holds (hand-written, see types.ts): a counter one route raises (add to cart, reserve) and
 * another lowers (remove, check out), each held amount lapsing after `ttlMs` — the answer to
 * inventory hoarding, where an identity holds stock it never buys.
 */

import type { HoldsSpec, HoldsState, Step } from "./types.ts";

const EMPTY: HoldsState = Object.freeze({ expires: Object.freeze([]), amounts: Object.freeze([]) });

function live(state: HoldsState | undefined, now: number): HoldsState {
  if (state === undefined) return EMPTY;
  let first = 0;
  while (first < state.expires.length && state.expires[first]! <= now) first++;
  return first === 0 ? state : { expires: state.expires.slice(first), amounts: state.amounts.slice(first) };
}

function total(state: HoldsState): number {
  let sum = 0;
  for (const a of state.amounts) sum += a;
  return sum;
}

function add(spec: HoldsSpec, view: HoldsState, amount: number, now: number): HoldsState {
  const expires = now + spec.ttlMs;
  let at = view.expires.length;
  while (at > 0 && view.expires[at - 1]! > expires) at--;
  const exp = view.expires.slice(), amounts = view.amounts.slice();
  exp.splice(at, 0, expires); amounts.splice(at, 0, amount);
  return { expires: exp, amounts };
}

function lastExpiry(state: HoldsState, now: number): number {
  const last = state.expires[state.expires.length - 1];
  return last === undefined ? 0 : Math.max(0, last - now);
}

/** Raises the held total by `amount` unless that would pass `limit`. */
export function raise(spec: HoldsSpec, state: HoldsState | undefined, amount: number, now: number): Step<HoldsState> {
  const view = live(state, now);
  const held = total(view);
  if (held + amount <= spec.limit) {
    const next = amount > 0 ? add(spec, view, amount, now) : view;
    return { allowed: true, remaining: spec.limit - held - amount, resetMs: lastExpiry(next, now), retryAfterMs: 0, state: next };
  }
  const resetMs = lastExpiry(view, now);
  let retryAfterMs = resetMs;
  if (amount <= spec.limit) {
    let freed = 0;
    for (let i = 0; i < view.amounts.length; i++) {
      freed += view.amounts[i]!;
      if (held - freed + amount <= spec.limit) { retryAfterMs = Math.max(1, view.expires[i]! - now); break; }
    }
  }
  return { allowed: false, remaining: Math.max(0, spec.limit - held), resetMs, retryAfterMs, state: view };
}

/** Raises unconditionally (an amount known only after the response). */
export function chargeHolds(spec: HoldsSpec, state: HoldsState | undefined, amount: number, now: number): HoldsState {
  const view = live(state, now);
  return amount > 0 ? add(spec, view, amount, now) : view;
}

/**
 * Lowers the held total by `amount`, newest holds first: what stays held is the oldest, which
 * lapses soonest — in doubt, the identity gets its allowance back earlier, never later.
 */
export function lower(state: HoldsState | undefined, amount: number, now: number): HoldsState {
  const view = live(state, now);
  if (amount <= 0 || view.amounts.length === 0) return view;
  const expires = view.expires.slice(), amounts = view.amounts.slice();
  let left = amount;
  while (left > 0 && amounts.length > 0) {
    const last = amounts.length - 1;
    const take = Math.min(left, amounts[last]!);
    left -= take;
    if (take === amounts[last]) { amounts.pop(); expires.pop(); } else amounts[last] = amounts[last]! - take;
  }
  return { expires, amounts };
}

export function holdsExpiry(state: HoldsState): number {
  return state.expires[state.expires.length - 1] ?? 0;
}

/** The amount held at `now` (for tests and metrics). */
export function held(state: HoldsState | undefined, now: number): number {
  return total(live(state, now));
}
