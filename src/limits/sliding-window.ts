/**
 * Weighted sliding window (hand-written, see types.ts). Counts are kept per sub-window of
 * `bucketMs`; the estimate for the window ending now is the newest `buckets` sub-windows plus
 * the oldest one weighted by the share of it the window still covers (the two-window counter
 * when `buckets` is 1). Because the weighting assumes requests spread evenly, a burst at the
 * end of the oldest sub-window can be under-counted; the cap on the raw sum of every
 * sub-window touching the window bounds that: no window of length W admits more than
 * `floor(limit · (1 + 1/buckets))`.
 */

import type { SlidingWindowSpec, SlidingWindowState, Step } from "./types.ts";

/** Counts as seen from the sub-window starting at `start` (older ones shifted out). */
function shifted(spec: SlidingWindowSpec, state: SlidingWindowState | undefined, start: number): SlidingWindowState {
  const size = spec.buckets + 1;
  if (state === undefined || state.counts.length !== size) return { start, counts: new Array<number>(size).fill(0) };
  // A stored sub-window newer than ours (another clock ran ahead) is kept as the newest.
  if (state.start >= start) return state;
  const by = (start - state.start) / spec.bucketMs;
  if (by >= size) return { start, counts: new Array<number>(size).fill(0) };
  const counts = new Array<number>(size);
  for (let i = 0; i < size; i++) counts[i] = i < by ? 0 : state.counts[i - by]!;
  return { start, counts };
}

/** Weighted estimate and raw sum at `now` (which lies in the newest sub-window or before it). */
function measure(spec: SlidingWindowSpec, view: SlidingWindowState, now: number): { weighted: number; raw: number } {
  let newest = 0;
  for (let i = 0; i < spec.buckets; i++) newest += view.counts[i]!;
  const oldest = view.counts[spec.buckets]!;
  const into = Math.min(spec.bucketMs, Math.max(0, now - view.start));
  return { weighted: newest + (oldest * (spec.bucketMs - into)) / spec.bucketMs, raw: newest + oldest };
}

function fits(spec: SlidingWindowSpec, m: { weighted: number; raw: number }, cost: number): boolean {
  return m.weighted + cost <= spec.limit && m.raw + cost <= spec.cap;
}

/** Until the newest non-empty sub-window has slid out entirely. */
function resetAfter(spec: SlidingWindowSpec, view: SlidingWindowState, now: number): number {
  for (let i = 0; i < view.counts.length; i++) {
    if (view.counts[i]! > 0) return Math.max(0, view.start - i * spec.bucketMs + (spec.buckets + 1) * spec.bucketMs - now);
  }
  return 0;
}

/** The first instant from `now` at which `cost` fits, assuming no further traffic. */
function nextFit(spec: SlidingWindowSpec, view: SlidingWindowState, cost: number, now: number): number {
  for (let j = 0; j <= spec.buckets + 1; j++) {
    const start = view.start + j * spec.bucketMs;
    const ahead = shifted(spec, view, start);
    const at = Math.max(now, start);
    const m = measure(spec, ahead, at);
    if (m.raw + cost > spec.cap) continue;
    if (fits(spec, m, cost)) return at;
    const oldest = ahead.counts[spec.buckets]!;
    const newest = m.raw - oldest;
    if (newest + cost > spec.limit) continue;
    // Solve newest + oldest·(bucketMs − into)/bucketMs + cost ≤ limit for `into`.
    let t = start + Math.ceil(spec.bucketMs - ((spec.limit - cost - newest) * spec.bucketMs) / oldest);
    t = Math.max(t, at);
    while (t < start + spec.bucketMs && !fits(spec, measure(spec, ahead, t), cost)) t++;
    if (t < start + spec.bucketMs) return t;
  }
  return now + resetAfter(spec, view, now);
}

function bucketStart(spec: SlidingWindowSpec, now: number): number {
  return now - (((now % spec.bucketMs) + spec.bucketMs) % spec.bucketMs);
}

/** Admits `cost` at `now` against a weighted sliding window. */
export function admitSlidingWindow(spec: SlidingWindowSpec, state: SlidingWindowState | undefined, cost: number, now: number): Step<SlidingWindowState> {
  const view = shifted(spec, state, bucketStart(spec, now));
  const m = measure(spec, view, now);
  if (fits(spec, m, cost)) {
    const counts = view.counts.slice();
    counts[0] = counts[0]! + cost;
    const next = { start: view.start, counts };
    const remaining = Math.max(0, Math.min(spec.limit - m.weighted - cost, spec.cap - m.raw - cost));
    return { allowed: true, remaining: Math.floor(remaining), resetMs: resetAfter(spec, next, now), retryAfterMs: 0, state: next };
  }
  const remaining = Math.max(0, Math.min(spec.limit - m.weighted, spec.cap - m.raw));
  const resetMs = resetAfter(spec, view, now);
  const retryAfterMs = cost > spec.limit ? resetMs : Math.max(1, nextFit(spec, view, cost, now) - now);
  return { allowed: false, remaining: Math.floor(remaining), resetMs, retryAfterMs, state: view };
}

export function chargeSlidingWindow(spec: SlidingWindowSpec, state: SlidingWindowState | undefined, cost: number, now: number): SlidingWindowState {
  const view = shifted(spec, state, bucketStart(spec, now));
  const counts = view.counts.slice();
  counts[0] = counts[0]! + cost;
  return { start: view.start, counts };
}

export function slidingWindowExpiry(spec: SlidingWindowSpec, state: SlidingWindowState): number {
  return state.start + (spec.buckets + 1) * spec.bucketMs;
}
