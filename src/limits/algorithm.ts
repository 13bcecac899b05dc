/**
 * One entry point over all algorithms: admit, charge later, and when a state lapses. Stores
 * call these; they never switch on the kind themselves.
 */

import { admitCalendar, calendarExpiry, chargeCalendar } from "./calendar.ts";
import { acquire, concurrencyExpiry } from "./concurrency.ts";
import { admitFixedWindow, chargeFixedWindow, fixedWindowExpiry } from "./fixed-window.ts";
import { admitGcra, chargeGcra, gcraExpiry } from "./gcra.ts";
import { chargeHolds, holdsExpiry, raise } from "./holds.ts";
import { admitSlidingLog, chargeSlidingLog, slidingLogExpiry } from "./sliding-log.ts";
import { admitSlidingWindow, chargeSlidingWindow, slidingWindowExpiry } from "./sliding-window.ts";
import { admitTokenBucket, chargeTokenBucket, tokenBucketExpiry } from "./token-bucket.ts";
import type { LimitSpec, StateOf, Step } from "./types.ts";

/** Any algorithm's state. A state of another kind than the spec's is treated as no state. */
export type LimitState = StateOf[keyof StateOf];

/**
 * Admits `cost` at `now` under `spec`. `lease` names the concurrency lease taken when admitted
 * (ignored by other kinds). Pure: `state` is not modified.
 */
export function admitLimit(spec: LimitSpec, state: LimitState | undefined, cost: number, now: number, lease: string): Step<LimitState> {
  switch (spec.kind) {
    case "fixed_window": return admitFixedWindow(spec, state as StateOf["fixed_window"] | undefined, cost, now);
    case "sliding_window": return admitSlidingWindow(spec, state as StateOf["sliding_window"] | undefined, cost, now);
    case "sliding_log": return admitSlidingLog(spec, state as StateOf["sliding_log"] | undefined, cost, now);
    case "token_bucket": return admitTokenBucket(spec, state as StateOf["token_bucket"] | undefined, cost, now);
    case "gcra": return admitGcra(spec, state as StateOf["gcra"] | undefined, cost, now);
    case "calendar": return admitCalendar(spec, state as StateOf["calendar"] | undefined, cost, now);
    case "concurrency": return acquire(spec, state as StateOf["concurrency"] | undefined, cost, now, lease);
    case "holds": return raise(spec, state as StateOf["holds"] | undefined, cost, now);
  }
}

/**
 * Adds `cost` unconditionally: cost known only after the response (failures, bytes). For
 * concurrency there is nothing to add later; the state is returned as it is.
 */
export function chargeLimit(spec: LimitSpec, state: LimitState | undefined, cost: number, now: number): LimitState | undefined {
  switch (spec.kind) {
    case "fixed_window": return chargeFixedWindow(spec, state as StateOf["fixed_window"] | undefined, cost, now);
    case "sliding_window": return chargeSlidingWindow(spec, state as StateOf["sliding_window"] | undefined, cost, now);
    case "sliding_log": return chargeSlidingLog(spec, state as StateOf["sliding_log"] | undefined, cost, now);
    case "token_bucket": return chargeTokenBucket(spec, state as StateOf["token_bucket"] | undefined, cost, now);
    case "gcra": return chargeGcra(spec, state as StateOf["gcra"] | undefined, cost, now);
    case "calendar": return chargeCalendar(spec, state as StateOf["calendar"] | undefined, cost, now);
    case "concurrency": return state;
    case "holds": return chargeHolds(spec, state as StateOf["holds"] | undefined, cost, now);
  }
}

/** The instant from which `state` is equivalent to no state (a store may then drop it). */
export function expiryOf(spec: LimitSpec, state: LimitState): number {
  switch (spec.kind) {
    case "fixed_window": return fixedWindowExpiry(spec, state as StateOf["fixed_window"]);
    case "sliding_window": return slidingWindowExpiry(spec, state as StateOf["sliding_window"]);
    case "sliding_log": return slidingLogExpiry(spec, state as StateOf["sliding_log"]);
    case "token_bucket": return tokenBucketExpiry(spec, state as StateOf["token_bucket"]);
    case "gcra": return gcraExpiry(state as StateOf["gcra"]);
    case "calendar": return calendarExpiry(state as StateOf["calendar"]);
    case "concurrency": return concurrencyExpiry(state as StateOf["concurrency"]);
    case "holds": return holdsExpiry(state as StateOf["holds"]);
  }
}
