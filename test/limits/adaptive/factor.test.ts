/** The factor controller with an injected clock: bounded rate, hysteresis, recovery to exactly 1. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createFactorController, FactorOptionsError, type FactorOptions } from "../../../src/limits/adaptive/factor.ts";

const OPTIONS: FactorOptions = { minFactor: 0.1, maxChangePerSecond: 0.1, highWater: 0.8, lowWater: 0.5 };
const EPSILON = 1e-9;

/** Feeds `load` every `stepMs` for `forMs`; returns the clock after. */
function drive(controller: ReturnType<typeof createFactorController>, from: number, forMs: number, stepMs: number, load: number | ((t: number) => number)): number {
  let t = from;
  while (t < from + forMs) {
    t += stepMs;
    controller.update(typeof load === "number" ? load : load(t), t);
  }
  return t;
}

describe("factor controller", () => {
  it("never moves more than 0.1 per second over any interval, whatever the tick rate and the load", () => {
    fc.assert(fc.property(
      fc.array(fc.record({ gapMs: fc.integer({ min: 0, max: 3000 }), load: fc.double({ min: 0, max: 5, noNaN: true }) }), { minLength: 1, maxLength: 200 }),
      (steps) => {
        const controller = createFactorController(OPTIONS, 0);
        const history: { t: number; f: number }[] = [{ t: 0, f: 1 }];
        let t = 0;
        for (const step of steps) {
          t += step.gapMs;
          history.push({ t, f: controller.update(step.load, t) });
        }
        for (let i = 0; i < history.length; i++) {
          for (let j = i + 1; j < history.length; j++) {
            const a = history[i]!;
            const b = history[j]!;
            const allowed = 0.1 * ((b.t - a.t) / 1000) + EPSILON;
            assert.ok(Math.abs(b.f - a.f) <= allowed, `moved ${Math.abs(b.f - a.f)} in ${b.t - a.t} ms`);
          }
          assert.ok(history[i]!.f >= OPTIONS.minFactor - EPSILON && history[i]!.f <= 1);
        }
      },
    ), { numRuns: 300 });
  });

  it("a late tick (a blocked loop) moves it by at most one second's worth", () => {
    const controller = createFactorController(OPTIONS, 0);
    assert.equal(controller.update(10, 5_000), 0.9);
    // The clock going backwards grants nothing either.
    assert.equal(controller.update(10, 4_000), 0.9);
  });

  it("scales down at 0.1/s under load, down to min_factor and no further", () => {
    const controller = createFactorController(OPTIONS, 0);
    let t = drive(controller, 0, 1000, 250, 2);
    assert.ok(Math.abs(controller.factor - 0.9) < EPSILON, String(controller.factor));
    assert.equal(controller.trend, "down");
    t = drive(controller, t, 8000, 250, 2);
    assert.ok(Math.abs(controller.factor - 0.1) < EPSILON, String(controller.factor));
    drive(controller, t, 5000, 250, 2);
    assert.equal(controller.factor, 0.1);
  });

  it("hysteresis: a load hovering between the water marks holds the factor still, one crossing each way moves it", () => {
    const controller = createFactorController(OPTIONS, 0);
    let t = drive(controller, 0, 3000, 250, 0.9); // down to 0.7
    const held = controller.factor;
    assert.ok(Math.abs(held - 0.7) < EPSILON, String(held));
    // 60 s of load wandering anywhere in [low, high]: not a single change.
    let seed = 7;
    const wander = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return 0.5 + (seed / 2 ** 31) * 0.3;
    };
    t = drive(controller, t, 60_000, 250, wander);
    assert.equal(controller.factor, held);
    assert.equal(controller.trend, "hold");
    // Load flickering just above and just below high water only ever goes down (no flapping up).
    let previous = controller.factor;
    t = drive(controller, t, 4000, 250, (at) => {
      assert.ok(controller.factor <= previous + EPSILON, "the factor went up while load was above low water");
      previous = controller.factor;
      return at % 500 === 0 ? 0.81 : 0.79;
    });
    assert.ok(controller.factor < held);
    // And it only recovers below low water.
    const before = controller.factor;
    drive(controller, t, 1000, 250, 0.49);
    assert.ok(Math.abs(controller.factor - (before + 0.1)) < EPSILON);
  });

  it("recovers to exactly 1 once load is low: 0.1 → 1 takes 9 s at 0.1/s, not less", () => {
    const controller = createFactorController(OPTIONS, 0);
    let t = drive(controller, 0, 12_000, 250, 3);
    assert.equal(controller.factor, 0.1);
    t = drive(controller, t, 8750, 250, 0);
    assert.ok(controller.factor < 1, `already ${controller.factor} after 8.75 s`);
    t = drive(controller, t, 250, 250, 0);
    assert.ok(Math.abs(controller.factor - 1) < EPSILON);
    drive(controller, t, 1000, 250, 0);
    assert.equal(controller.factor, 1);
    assert.equal(controller.trend, "up");
  });

  it("configure keeps the factor, clamped to the new range", () => {
    const controller = createFactorController(OPTIONS, 0);
    drive(controller, 0, 12_000, 250, 3);
    controller.configure({ ...OPTIONS, minFactor: 0.5 });
    assert.equal(controller.factor, 0.5);
  });

  it("refuses options it cannot work with", () => {
    assert.throws(() => createFactorController({ ...OPTIONS, minFactor: 0 }, 0), FactorOptionsError);
    assert.throws(() => createFactorController({ ...OPTIONS, minFactor: 1.5 }, 0), FactorOptionsError);
    assert.throws(() => createFactorController({ ...OPTIONS, maxChangePerSecond: 0 }, 0), FactorOptionsError);
    assert.throws(() => createFactorController({ ...OPTIONS, lowWater: 0.8 }, 0), /lowWater must be above 0 and below highWater/);
  });
});
