/** Concurrency and holds never exceed their limits under random start/finish orders, and lapse after their TTL. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { acquire, inFlight, release } from "../../src/limits/concurrency.ts";
import { held, lower, raise } from "../../src/limits/holds.ts";
import { concurrency, holds } from "../../src/limits/spec.ts";
import type { ConcurrencyState, HoldsState } from "../../src/limits/types.ts";

const T0 = 1_767_225_600_000;

const actions = fc.array(fc.record({
  start: fc.boolean(),
  pick: fc.nat(),
  cost: fc.integer({ min: 1, max: 3 }),
  gap: fc.integer({ min: 0, max: 50 }),
}), { maxLength: 300 });

describe("concurrency", () => {
  it("property: in-flight weight never passes the limit, and matches a model of open leases", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 2000 }), actions, (limit, leaseMs, steps) => {
      const spec = concurrency({ limit, leaseMs });
      let state: ConcurrencyState | undefined;
      const open = new Map<string, { until: number; weight: number }>();
      let now = T0;
      let seq = 0;
      for (const { start, pick, cost, gap } of steps) {
        now += gap;
        for (const [id, lease] of open) if (lease.until <= now) open.delete(id);
        const modelUsed = [...open.values()].reduce((s, l) => s + l.weight, 0);
        if (start) {
          const id = `l${seq++}`;
          const step = acquire(spec, state, cost, now, id);
          assert.equal(step.allowed, modelUsed + cost <= limit);
          if (step.allowed) { state = step.state; open.set(id, { until: now + leaseMs, weight: cost }); }
        } else {
          const ids = [...open.keys()];
          const id = ids.length === 0 ? "unknown" : ids[pick % ids.length]!;
          state = release(state, id, now);
          open.delete(id);
        }
        const used = inFlight(state, now);
        assert.ok(used <= limit, `${used} in flight > ${limit}`);
        assert.equal(used, [...open.values()].reduce((s, l) => s + l.weight, 0));
      }
    }), { numRuns: 300 });
  });
});

describe("holds", () => {
  it("property: the held total never passes the limit and lapses item by item", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 3000 }), actions, (limit, ttlMs, steps) => {
      const spec = holds({ limit, ttlMs });
      let state: HoldsState | undefined;
      // Model: held amounts with their expiry, lowered newest first.
      let model: Array<{ until: number; amount: number }> = [];
      let now = T0;
      for (const { start, pick, cost, gap } of steps) {
        now += gap;
        model = model.filter((h) => h.until > now);
        const total = model.reduce((s, h) => s + h.amount, 0);
        if (start) {
          const step = raise(spec, state, cost, now);
          assert.equal(step.allowed, total + cost <= limit);
          if (step.allowed) { state = step.state; model.push({ until: now + ttlMs, amount: cost }); }
        } else {
          const amount = 1 + (pick % 3);
          state = lower(state, amount, now);
          let left = amount;
          while (left > 0 && model.length > 0) {
            const last = model[model.length - 1]!;
            const take = Math.min(left, last.amount);
            left -= take;
            if (take === last.amount) model.pop(); else last.amount -= take;
          }
        }
        const now2 = held(state, now);
        assert.ok(now2 <= limit, `${now2} held > ${limit}`);
        assert.equal(now2, model.reduce((s, h) => s + h.amount, 0));
      }
    }), { numRuns: 300 });
  });

  it("lowers the newest holds first", () => {
    const spec = holds({ limit: 10, ttlMs: 1000 });
    let state = raise(spec, undefined, 2, T0).state;
    state = raise(spec, state, 3, T0 + 500).state;
    state = lower(state, 3, T0 + 600);
    assert.equal(held(state, T0 + 999), 2);
    assert.equal(held(state, T0 + 1000), 0, "what stayed is the oldest hold, which lapses first");
  });
});
