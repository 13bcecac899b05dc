/**
 * Weighted sliding window. The bucket notion: the window W is cut into `buckets` sub-windows of
 * W / buckets. Bounds checked: any window of length W admits at most floor(limit · (1 + 1/buckets));
 * a window aligned to sub-window edges admits at most the limit.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { admitSlidingWindow } from "../../src/limits/sliding-window.ts";
import { slidingWindow } from "../../src/limits/spec.ts";
import type { SlidingWindowState } from "../../src/limits/types.ts";

const T0 = 1_767_225_600_000;

function drive(limit: number, windowMs: number, buckets: number, requests: { gap: number; cost: number }[]) {
  const spec = slidingWindow({ limit, windowMs, buckets });
  let state: SlidingWindowState | undefined;
  const admitted: Array<[number, number]> = [];
  let now = T0;
  for (const { gap, cost } of requests) {
    now += gap;
    const step = admitSlidingWindow(spec, state, cost, now);
    if (step.allowed) { state = step.state; admitted.push([now, cost]); }
  }
  return { spec, state, admitted, now };
}

const params = fc.record({
  limit: fc.integer({ min: 1, max: 30 }),
  buckets: fc.integer({ min: 1, max: 6 }),
  bucketMs: fc.integer({ min: 1, max: 300 }),
  requests: fc.array(fc.record({ gap: fc.integer({ min: 0, max: 200 }), cost: fc.integer({ min: 1, max: 3 }) }), { maxLength: 200 }),
});

describe("sliding window (weighted)", () => {
  it("property: no window of length W admits more than floor(limit · (1 + 1/buckets))", () => {
    fc.assert(fc.property(params, ({ limit, buckets, bucketMs, requests }) => {
      const { spec, admitted } = drive(limit, bucketMs * buckets, buckets, requests);
      for (const [s] of admitted) {
        const inside = admitted.filter(([t]) => t >= s && t < s + spec.windowMs).reduce((sum, [, c]) => sum + c, 0);
        assert.ok(inside <= spec.cap, `window at ${s - T0} holds ${inside} > cap ${spec.cap}`);
      }
    }), { numRuns: 400 });
  });

  it("property: a window aligned to sub-window edges admits at most the limit", () => {
    fc.assert(fc.property(params, ({ limit, buckets, bucketMs, requests }) => {
      const { spec, admitted } = drive(limit, bucketMs * buckets, buckets, requests);
      // Every window starting on a sub-window edge (edges are epoch-aligned) that holds an admission.
      for (const [t] of admitted) {
        for (let k = 0; k < buckets; k++) {
          const s = t - (t % bucketMs) - k * bucketMs;
          const inside = admitted.filter(([u]) => u >= s && u < s + spec.windowMs).reduce((sum, [, c]) => sum + c, 0);
          assert.ok(inside <= limit, `aligned window at ${s - T0} holds ${inside} > ${limit}`);
        }
      }
    }), { numRuns: 400 });
  });

  it("property: retry-after is exact (admitted then, not a millisecond before)", () => {
    fc.assert(fc.property(params, fc.integer({ min: 1, max: 3 }), ({ limit, buckets, bucketMs, requests }, probe) => {
      const { spec, state, now } = drive(limit, bucketMs * buckets, buckets, requests);
      const denied = admitSlidingWindow(spec, state, probe, now);
      if (denied.allowed || probe > limit) return;
      assert.equal(admitSlidingWindow(spec, state, probe, now + denied.retryAfterMs).allowed, true, `retry after ${denied.retryAfterMs}`);
      if (denied.retryAfterMs > 1) assert.equal(admitSlidingWindow(spec, state, probe, now + denied.retryAfterMs - 1).allowed, false);
    }), { numRuns: 400 });
  });

  it("reaches the bound with a burst at the end of the oldest sub-window, and the cap holds it there", () => {
    // Two-window counter: 10 at the very end of one window, then 10·f more as the next one fills.
    const two = drive(10, 1000, 1, [{ gap: 999, cost: 10 }, ...Array.from({ length: 40 }, () => ({ gap: 24, cost: 1 }))]);
    const burst = two.admitted.filter(([t]) => t >= T0 + 999 && t < T0 + 1999).reduce((s, [, c]) => s + c, 0);
    assert.ok(burst > 10 && burst <= 20, `${burst} in one window of the two-window counter`);
    // Four sub-windows: the weighting alone would allow ~2× too; the cap stops it at 12.
    const four = drive(10, 1000, 4, [{ gap: 249, cost: 10 }, ...Array.from({ length: 80 }, () => ({ gap: 12, cost: 1 }))]);
    const capped = four.admitted.filter(([t]) => t >= T0 + 249 && t < T0 + 1249).reduce((s, [, c]) => s + c, 0);
    assert.equal(capped, 12);
  });
});
