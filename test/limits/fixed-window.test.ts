/** Fixed window and calendar quota: at most the limit per window, never rolled back by a lagging clock. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { admitCalendar } from "../../src/limits/calendar.ts";
import { admitFixedWindow } from "../../src/limits/fixed-window.ts";
import { calendarQuota, fixedWindow } from "../../src/limits/spec.ts";
import type { CalendarState, FixedWindowState } from "../../src/limits/types.ts";

const T0 = Date.UTC(2026, 0, 5);

describe("fixed window", () => {
  it("property: each epoch-aligned window admits at most the limit, and exactly that under demand", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 500 }),
      fc.array(fc.record({ gap: fc.integer({ min: 0, max: 60 }), cost: fc.integer({ min: 1, max: 3 }) }), { maxLength: 200 }),
      (limit, windowMs, requests) => {
        const spec = fixedWindow({ limit, windowMs });
        let state: FixedWindowState | undefined;
        const perWindow = new Map<number, number>();
        let now = T0;
        for (const { gap, cost } of requests) {
          now += gap;
          const start = now - (now % windowMs);
          const used = perWindow.get(start) ?? 0;
          const step = admitFixedWindow(spec, state, cost, now);
          assert.equal(step.allowed, used + cost <= limit);
          if (step.allowed) { state = step.state; perWindow.set(start, used + cost); }
          else assert.equal(step.retryAfterMs, start + windowMs - now);
        }
      }), { numRuns: 300 });
  });

  it("keeps a newer window stored by a clock that ran ahead", () => {
    const spec = fixedWindow({ limit: 1, windowMs: 1000 });
    const ahead = admitFixedWindow(spec, undefined, 1, T0 + 1000).state;
    assert.equal(admitFixedWindow(spec, ahead, 1, T0 + 999).allowed, false, "the lagging instance counts into the newer window");
  });
});

describe("calendar quota", () => {
  it("resets at local midnight in the configured zone, not at UTC midnight", () => {
    const spec = calendarQuota({ limit: 2, period: "day", timeZone: "America/New_York" });
    // 2026-01-05 04:59:59 UTC is 23:59:59 on Jan 4 in New York; 05:00 UTC is midnight.
    let state: CalendarState | undefined;
    const at = (iso: string, expect: boolean) => {
      const step = admitCalendar(spec, state, 1, Date.parse(iso));
      assert.equal(step.allowed, expect, iso);
      if (step.allowed) state = step.state;
      return step;
    };
    at("2026-01-05T04:00:00Z", true);
    at("2026-01-05T04:30:00Z", true);
    const denied = at("2026-01-05T04:59:59Z", false);
    assert.equal(denied.retryAfterMs, 1000);
    at("2026-01-05T05:00:00Z", true);
  });

  it("counts a month in the zone's months", () => {
    const spec = calendarQuota({ limit: 1, period: "month", timeZone: "Asia/Tokyo" });
    const first = admitCalendar(spec, undefined, 1, Date.parse("2026-01-31T14:59:59Z"));
    assert.equal(first.resetMs, 1000, "February starts at 15:00 UTC on Jan 31 in Tokyo");
    assert.equal(admitCalendar(spec, first.state, 1, Date.parse("2026-01-31T15:00:00Z")).allowed, true);
  });
});
