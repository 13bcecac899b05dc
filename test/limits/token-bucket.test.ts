/** Token bucket: the long-run rate equals the refill rate, and no interval admits more than burst + rate × length. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { admitTokenBucket, chargeTokenBucket } from "../../src/limits/token-bucket.ts";
import { tokenBucket } from "../../src/limits/spec.ts";
import type { TokenBucketState } from "../../src/limits/types.ts";

const T0 = 1_767_225_600_000;

describe("token bucket", () => {
  it("property: under saturating demand the long-run rate equals the refill rate", () => {
    // Demand arrives every millisecond, so the bucket never holds more than 1 + rate·1 ms < 2
    // tokens between requests: with capacity ≥ 2 no refill is lost to the cap.
    fc.assert(fc.property(fc.integer({ min: 2, max: 50 }), fc.integer({ min: 1, max: 900 }), fc.integer({ min: 1000, max: 20_000 }), (capacity, perSecond, durationMs) => {
      const spec = tokenBucket({ capacity, refillPerSecond: perSecond });
      let state: TokenBucketState | undefined;
      let admitted = 0;
      for (let t = 0; t <= durationMs; t++) {
        const step = admitTokenBucket(spec, state, 1, T0 + t);
        if (step.allowed) { state = step.state; admitted++; }
      }
      const expected = capacity + (perSecond * durationMs) / 1000;
      assert.ok(admitted <= expected + 1e-9 && admitted >= Math.floor(expected) - 1, `${admitted} admitted, expected ≈ ${expected}`);
    }), { numRuns: 60 });
  });

  it("property: no interval [a, b] admits more than capacity + rate × (b − a)", () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 100 }),
      fc.array(fc.record({ gap: fc.integer({ min: 0, max: 100 }), cost: fc.integer({ min: 1, max: 4 }) }), { maxLength: 200 }),
      (capacity, perSecond, requests) => {
        const spec = tokenBucket({ capacity, refillPerSecond: perSecond });
        let state: TokenBucketState | undefined;
        const admitted: Array<[number, number]> = [];
        let now = T0;
        for (const { gap, cost } of requests) {
          now += gap;
          const step = admitTokenBucket(spec, state, cost, now);
          if (step.allowed) { state = step.state; admitted.push([now, cost]); }
        }
        for (let i = 0; i < admitted.length; i++) {
          let sum = 0;
          for (let j = i; j < admitted.length; j++) {
            sum += admitted[j]![1];
            const span = admitted[j]![0] - admitted[i]![0];
            assert.ok(sum <= capacity + (perSecond * span) / 1000 + 1e-9, `${sum} in ${span} ms`);
          }
        }
      },
    ), { numRuns: 200 });
  });

  it("retry-after is when enough tokens have refilled", () => {
    const spec = tokenBucket({ capacity: 2, refillPerSecond: 4 });
    let state = admitTokenBucket(spec, undefined, 2, T0).state;
    const denied = admitTokenBucket(spec, state, 1, T0);
    assert.deepEqual([denied.allowed, denied.retryAfterMs, denied.resetMs], [false, 250, 500]);
    state = admitTokenBucket(spec, state, 1, T0 + 250).state;
    assert.equal(state.tokens, 0);
  });

  it("goes into debt when cost is charged after the response, and refuses until it is repaid", () => {
    const spec = tokenBucket({ capacity: 10, refillPerSecond: 10 });
    const state = chargeTokenBucket(spec, undefined, 30, T0);
    assert.equal(state.tokens, -20);
    assert.equal(admitTokenBucket(spec, state, 1, T0 + 2000).allowed, false);
    assert.equal(admitTokenBucket(spec, state, 1, T0 + 2100).allowed, true);
  });

  it("does not refill for a clock that runs behind the stored one", () => {
    const spec = tokenBucket({ capacity: 1, refillPerSecond: 1 });
    const state = admitTokenBucket(spec, undefined, 1, T0 + 5000).state;
    assert.equal(admitTokenBucket(spec, state, 1, T0).allowed, false);
  });
});
