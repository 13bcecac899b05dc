/** Sliding log: exact against a list-based reference; no window of length W ever holds more than the limit. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { admitSlidingLog } from "../../src/limits/sliding-log.ts";
import { slidingLog } from "../../src/limits/spec.ts";
import type { SlidingLogState } from "../../src/limits/types.ts";

const T0 = 1_767_225_600_000;
const traffic = fc.array(fc.record({ gap: fc.integer({ min: 0, max: 400 }), cost: fc.integer({ min: 1, max: 3 }) }), { maxLength: 150 });

describe("sliding log", () => {
  it("property: decides exactly as the reference model (sum of costs in (t − W, t])", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 2000 }), traffic, (limit, windowMs, requests) => {
      const spec = slidingLog({ limit, windowMs });
      let state: SlidingLogState | undefined;
      const admitted: Array<[number, number]> = [];
      let now = T0;
      for (const { gap, cost } of requests) {
        now += gap;
        const inWindow = admitted.filter(([t]) => t > now - windowMs).reduce((s, [, c]) => s + c, 0);
        const step = admitSlidingLog(spec, state, cost, now);
        assert.equal(step.allowed, inWindow + cost <= limit);
        assert.equal(step.remaining, Math.max(0, limit - inWindow - (step.allowed ? cost : 0)));
        if (step.allowed) { state = step.state; admitted.push([now, cost]); }
      }
      // No window [s, s + W) holds more than the limit (the worst windows start at an admission).
      for (const [s] of admitted) {
        const inside = admitted.filter(([t]) => t >= s && t < s + windowMs).reduce((sum, [, c]) => sum + c, 0);
        assert.ok(inside <= limit, `window at ${s - T0} holds ${inside} > ${limit}`);
      }
    }), { numRuns: 300 });
  });

  it("property: retry-after is exact (admitted then, not a millisecond before)", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 2, max: 2000 }), traffic, fc.integer({ min: 1, max: 3 }), (limit, windowMs, requests, probe) => {
      const spec = slidingLog({ limit, windowMs });
      let state: SlidingLogState | undefined;
      let now = T0;
      for (const { gap, cost } of requests) {
        now += gap;
        const step = admitSlidingLog(spec, state, cost, now);
        if (step.allowed) state = step.state;
      }
      const denied = admitSlidingLog(spec, state, probe, now);
      if (denied.allowed || probe > limit) return;
      assert.equal(admitSlidingLog(spec, state, probe, now + denied.retryAfterMs).allowed, true);
      if (denied.retryAfterMs > 1) assert.equal(admitSlidingLog(spec, state, probe, now + denied.retryAfterMs - 1).allowed, false);
    }), { numRuns: 300 });
  });

  it("does not remember zero-cost requests", () => {
    const spec = slidingLog({ limit: 2, windowMs: 1000 });
    const step = admitSlidingLog(spec, undefined, 0, T0);
    assert.equal(step.state.times.length, 0);
  });
});
