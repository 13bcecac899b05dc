/** Limit factories: bad options are config errors naming the option; good ones are prepared once and frozen. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  calendarQuota, concurrency, fixedWindow, gcra, holds, LimitSpecError, slidingLog, slidingWindow, tokenBucket,
} from "../../src/limits/spec.ts";

describe("limit specs", () => {
  it("names the option that cannot work", () => {
    const cases: Array<[() => unknown, string]> = [
      [() => fixedWindow({ limit: 0, windowMs: 1000 }), "limit"],
      [() => fixedWindow({ limit: 1.5, windowMs: 1000 }), "limit"],
      [() => slidingWindow({ limit: 5, windowMs: 1000, buckets: 3 }), "buckets"],
      [() => slidingLog({ limit: 5000, windowMs: 1000 }), "limit"],
      [() => tokenBucket({ capacity: 5, refillPerSecond: 0 }), "refillPerSecond"],
      [() => gcra({ rate: 5, periodMs: -1 }), "periodMs"],
      [() => calendarQuota({ limit: 5, period: "day", timeZone: "Mars/Olympus" }), "timeZone"],
      [() => calendarQuota({ limit: 5, period: "week" as "day" }), "period"],
      [() => concurrency({ limit: 5, leaseMs: 0 }), "leaseMs"],
      [() => holds({ limit: Number.NaN, ttlMs: 10 }), "limit"],
    ];
    for (const [make, option] of cases) {
      assert.throws(make, (error: unknown) => error instanceof LimitSpecError && error.option === option, option);
    }
  });

  it("prepares derived values once and freezes the spec", () => {
    const window = slidingWindow({ limit: 10, windowMs: 60_000, buckets: 4 });
    assert.deepEqual([window.bucketMs, window.cap], [15_000, 12]);
    const cell = gcra({ rate: 10, periodMs: 1000, burst: 5 });
    assert.deepEqual([cell.emissionMs, cell.toleranceMs], [100, 500]);
    assert.ok(Object.isFrozen(window) && Object.isFrozen(cell));
  });
});
