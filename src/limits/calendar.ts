/**
 * Calendar quota (hand-written, see types.ts): a fixed window whose windows are local days or
 * months in a time zone, so "10 per day" resets at the user's midnight, not at UTC's.
 */

import { admitWindow, chargeWindow } from "./fixed-window.ts";
import type { CalendarSpec, CalendarState, Step } from "./types.ts";

/** Admits `cost` at `now` against the calendar period containing `now`. */
export function admitCalendar(spec: CalendarSpec, state: CalendarState | undefined, cost: number, now: number): Step<CalendarState> {
  const period = spec.periodAt(now);
  const window = state === undefined ? undefined : { start: state.start, count: state.count };
  const end = state !== undefined && state.start > period.start ? state.end : period.end;
  const step = admitWindow(spec.limit, period.start, period.end, window, cost, now);
  return {
    allowed: step.allowed, remaining: step.remaining, resetMs: Math.max(0, end - now), retryAfterMs: step.allowed ? 0 : Math.max(0, end - now),
    state: { start: step.state.start, end, count: step.state.count },
  };
}

export function chargeCalendar(spec: CalendarSpec, state: CalendarState | undefined, cost: number, now: number): CalendarState {
  const period = spec.periodAt(now);
  const window = chargeWindow(period.start, state, cost);
  const end = state !== undefined && state.start > period.start ? state.end : period.end;
  return { start: window.start, end, count: window.count };
}

export function calendarExpiry(state: CalendarState): number {
  return state.end;
}
