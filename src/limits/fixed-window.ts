/**
 * Fixed window (hand-written, see types.ts): a count per epoch-aligned window. Cheap and exact
 * per window, but it allows twice the limit across a window edge; use it for quotas, not
 * against bursts. Also the core of the calendar quota, whose windows are calendar periods.
 */

import type { FixedWindowSpec, FixedWindowState, Step } from "./types.ts";

/**
 * Counts `cost` into the window `[start, end)` unless it would pass `limit`. A stored window
 * newer than `start` (another instance's clock ran ahead) is kept: a lagging clock never rolls
 * a key back to an older, emptier window.
 */
export function admitWindow(
  limit: number, start: number, end: number, state: FixedWindowState | undefined, cost: number, now: number,
): Step<FixedWindowState> {
  let count = 0;
  if (state !== undefined && state.start >= start) {
    if (state.start > start) { end += state.start - start; start = state.start; }
    count = state.count;
  }
  const resetMs = Math.max(0, end - now);
  if (count + cost <= limit) {
    return { allowed: true, remaining: limit - count - cost, resetMs, retryAfterMs: 0, state: { start, count: count + cost } };
  }
  return { allowed: false, remaining: Math.max(0, limit - count), resetMs, retryAfterMs: resetMs, state: state ?? { start, count } };
}

/** Adds `cost` unconditionally (cost charged after the response). */
export function chargeWindow(start: number, state: FixedWindowState | undefined, cost: number): FixedWindowState {
  if (state !== undefined && state.start >= start) return { start: state.start, count: state.count + cost };
  return { start, count: cost };
}

function windowStart(spec: FixedWindowSpec, now: number): number {
  return now - (((now % spec.windowMs) + spec.windowMs) % spec.windowMs);
}

/** Admits `cost` at `now` against a fixed window. */
export function admitFixedWindow(spec: FixedWindowSpec, state: FixedWindowState | undefined, cost: number, now: number): Step<FixedWindowState> {
  const start = windowStart(spec, now);
  return admitWindow(spec.limit, start, start + spec.windowMs, state, cost, now);
}

export function chargeFixedWindow(spec: FixedWindowSpec, state: FixedWindowState | undefined, cost: number, now: number): FixedWindowState {
  return chargeWindow(windowStart(spec, now), state, cost);
}

/** The instant after which the state counts for nothing. */
export function fixedWindowExpiry(spec: FixedWindowSpec, state: FixedWindowState): number {
  return state.start + spec.windowMs;
}
