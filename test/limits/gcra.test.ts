/** GCRA: equivalent to the ATM virtual scheduling algorithm (unit cells, limit L = (burst − 1)·T). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { admitGcra } from "../../src/limits/gcra.ts";
import { gcra } from "../../src/limits/spec.ts";
import type { GcraState } from "../../src/limits/types.ts";

const T0 = 1_767_225_600_000;

/** The textbook virtual scheduling algorithm, one cell at a time: conforming iff t ≥ TAT − L. */
class VirtualScheduling {
  #tat: number | undefined;
  readonly #increment: number;
  readonly #limit: number;
  constructor(increment: number, limit: number) { this.#increment = increment; this.#limit = limit; }
  /** A request of `cells` cells conforms iff all of them would, as one unit (all or none). */
  arrive(t: number, cells: number): boolean {
    let tat = this.#tat ?? t;
    for (let i = 0; i < cells; i++) {
      if (t < tat - this.#limit) return false;
      tat = Math.max(t, tat) + this.#increment;
    }
    this.#tat = tat;
    return true;
  }
}

describe("GCRA", () => {
  it("property: conforms exactly when the virtual scheduling model does", () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 10 }),
      fc.array(fc.record({ gap: fc.integer({ min: 0, max: 300 }), cost: fc.integer({ min: 1, max: 4 }) }), { maxLength: 200 }),
      (rate, emission, burst, requests) => {
        const spec = gcra({ rate, periodMs: rate * emission, burst });
        const model = new VirtualScheduling(emission, (burst - 1) * emission);
        let state: GcraState | undefined;
        let now = T0;
        for (const { gap, cost } of requests) {
          now += gap;
          const step = admitGcra(spec, state, cost, now);
          assert.equal(step.allowed, model.arrive(now, cost), `at +${now - T0} cost ${cost}`);
          if (step.allowed) state = step.state;
          else if (cost <= burst) assert.equal(admitGcra(spec, state, cost, now + step.retryAfterMs).allowed, true, "retry-after suffices");
        }
      },
    ), { numRuns: 300 });
  });

  it("admits the burst at once, then one per emission interval", () => {
    const spec = gcra({ rate: 10, periodMs: 1000, burst: 3 });
    let state: GcraState | undefined;
    const first = [0, 0, 0, 0].map(() => { const s = admitGcra(spec, state, 1, T0); if (s.allowed) state = s.state; return s.allowed; });
    assert.deepEqual(first, [true, true, true, false]);
    assert.equal(admitGcra(spec, state, 1, T0).retryAfterMs, 100);
    assert.equal(admitGcra(spec, state, 1, T0 + 100).allowed, true);
  });
});
