/**
 * The contract every LimitStore passes (memory, Redis, Redis Cluster): run it with
 * `runLimitStoreContract(name, { create })`. Times come from a fake clock, so a store that read
 * its own clock would fail here.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { admitLimit, type LimitState } from "../../src/limits/algorithm.ts";
import {
  calendarQuota, concurrency, fixedWindow, gcra, holds, slidingLog, slidingWindow, tokenBucket,
} from "../../src/limits/spec.ts";
import type { LimitSpec } from "../../src/limits/types.ts";
import type { Admission, AdmitResult, LimitItem, LimitStore, SettleOp } from "../../src/store/limits.ts";

export interface LimitStoreTarget {
  /** Names the implementation in test titles. */
  readonly name: string;
  /** A fresh, empty store (its own key space). */
  create(): LimitStore | Promise<LimitStore>;
  /** fast-check runs for the property test (fewer on a network store). */
  readonly propertyRuns?: number;
}

/** Midnight UTC: aligned to every window used here. */
export const T0 = Date.UTC(2026, 0, 5);

function ok(result: AdmitResult): Admission {
  assert.ok(!("kind" in result), `store unavailable: ${"message" in result ? result.message : ""}`);
  return result;
}

/** One spec of each kind, small enough to reach the limit in a few calls. */
export function sampleSpecs(): LimitSpec[] {
  return [
    fixedWindow({ limit: 3, windowMs: 1000 }),
    slidingWindow({ limit: 4, windowMs: 1000, buckets: 2 }),
    slidingLog({ limit: 3, windowMs: 1000 }),
    tokenBucket({ capacity: 3, refillPerSecond: 2 }),
    gcra({ rate: 4, periodMs: 1000, burst: 2 }),
    calendarQuota({ limit: 3, period: "day", timeZone: "Europe/Paris" }),
    concurrency({ limit: 2, leaseMs: 500 }),
    holds({ limit: 3, ttlMs: 700 }),
  ];
}

export function runLimitStoreContract(target: LimitStoreTarget): void {
  const name = target.name;
  const withStore = async (fn: (store: LimitStore) => Promise<void>): Promise<void> => {
    const store = await target.create();
    try { await fn(store); } finally { await store.close(); }
  };

  describe(`LimitStore contract: ${name}`, () => {
    it("admits up to the limit, denies at it, and reports remaining, reset and retry-after", () => withStore(async (store) => {
      const items: LimitItem[] = [{ key: "fw", spec: fixedWindow({ limit: 3, windowMs: 1000 }), cost: 1 }];
      const seen = [];
      for (let i = 0; i < 4; i++) seen.push(ok(await store.admit("g", items, T0 + 100)));
      assert.deepEqual(seen.map((a) => a.allowed), [true, true, true, false]);
      assert.deepEqual(seen.map((a) => a.items[0]!.remaining), [2, 1, 0, 0]);
      assert.equal(seen[3]!.deniedIndex, 0);
      assert.equal(seen[3]!.retryAfterMs, 900);
      assert.equal(seen[0]!.items[0]!.resetMs, 900);
      assert.equal(seen[0]!.items[0]!.limit, 3);
      assert.equal(ok(await store.admit("g", items, T0 + 1000)).allowed, true, "the next window starts empty");
    }));

    it("all or none: a request denied by the third limit spends nothing of the first two", () => withStore(async (store) => {
      const ip = { key: "ip", spec: fixedWindow({ limit: 10, windowMs: 60_000 }), cost: 1 };
      const user = { key: "user", spec: slidingWindow({ limit: 10, windowMs: 60_000 }), cost: 1 };
      const prefix = { key: "prefix", spec: tokenBucket({ capacity: 1, refillPerSecond: 0.001 }), cost: 1 };
      assert.equal(ok(await store.admit("login", [ip, user, prefix], T0)).allowed, true);
      const denied = ok(await store.admit("login", [ip, user, prefix], T0 + 1));
      assert.equal(denied.allowed, false);
      assert.equal(denied.deniedIndex, 2);
      assert.deepEqual(denied.items.map((i) => i.allowed), [true, true, false]);
      assert.ok(denied.retryAfterMs > 0);
      const after = ok(await store.admit("login", [ip, user], T0 + 2));
      assert.deepEqual(after.items.map((i) => i.remaining), [8, 8], "only the first admission and this one were counted");
    }));

    it("counts an item twice when one admission names its key twice", () => withStore(async (store) => {
      const spec = fixedWindow({ limit: 3, windowMs: 1000 });
      const result = ok(await store.admit("g", [{ key: "k", spec, cost: 2 }, { key: "k", spec, cost: 1 }], T0));
      assert.deepEqual(result.items.map((i) => i.remaining), [1, 0]);
      assert.equal(ok(await store.admit("g", [{ key: "k", spec, cost: 1 }], T0)).allowed, false);
    }));

    it("keeps groups apart", () => withStore(async (store) => {
      const items = [{ key: "k", spec: fixedWindow({ limit: 1, windowMs: 1000 }), cost: 1 }];
      assert.equal(ok(await store.admit("a", items, T0)).allowed, true);
      assert.equal(ok(await store.admit("b", items, T0)).allowed, true);
      assert.equal(ok(await store.admit("a", items, T0)).allowed, false);
    }));

    it("charges cost later: failures only, denied at the limit, reset on success", () => withStore(async (store) => {
      const spec = fixedWindow({ limit: 3, windowMs: 60_000 });
      const check: LimitItem[] = [{ key: "user:alice", spec, cost: 1, charge: "later" }];
      const failure: SettleOp[] = [{ op: "add", key: "user:alice", spec, cost: 1 }];
      for (let i = 0; i < 3; i++) {
        assert.equal(ok(await store.admit("login", check, T0 + i)).allowed, true, `attempt ${i + 1} is allowed`);
        assert.equal(await store.settle("login", failure, T0 + i), undefined);
      }
      const fourth = ok(await store.admit("login", check, T0 + 10));
      assert.equal(fourth.allowed, false, "the 4th attempt after 3 failures is denied, not the 5th");
      assert.equal(await store.reset("login", "user:alice"), undefined);
      assert.equal(ok(await store.admit("login", check, T0 + 11)).allowed, true, "a reset key starts over");
    }));

    it("adds response bytes past the limit (a debt) to a token bucket", () => withStore(async (store) => {
      const spec = tokenBucket({ capacity: 1000, refillPerSecond: 1000 });
      assert.equal(ok(await store.admit("dl", [{ key: "k", spec, cost: 1, charge: "later" }], T0)).allowed, true);
      await store.settle("dl", [{ op: "add", key: "k", spec, cost: 3000 }], T0);
      const denied = ok(await store.admit("dl", [{ key: "k", spec, cost: 1, charge: "later" }], T0 + 1000));
      assert.equal(denied.allowed, false);
      assert.equal(denied.retryAfterMs, 1001, "the debt (-1000 tokens after a second of refill) is repaid first");
    }));

    it("releases concurrency leases and lets unreleased ones lapse", () => withStore(async (store) => {
      const spec = concurrency({ limit: 2, leaseMs: 500 });
      const items = [{ key: "c", spec, cost: 1 }];
      const first = ok(await store.admit("g", items, T0));
      const second = ok(await store.admit("g", items, T0));
      assert.equal(ok(await store.admit("g", items, T0)).allowed, false);
      const lease = first.items[0]!.lease;
      assert.ok(lease !== undefined && lease !== second.items[0]!.lease, "each admission gets its own lease");
      await store.settle("g", [{ op: "release", key: "c", spec, lease }], T0 + 1);
      await store.settle("g", [{ op: "release", key: "c", spec, lease }], T0 + 1);
      const third = ok(await store.admit("g", items, T0 + 2));
      assert.equal(third.allowed, true);
      assert.equal(ok(await store.admit("g", items, T0 + 3)).allowed, false, "a second release of one lease frees nothing");
      assert.equal(ok(await store.admit("g", items, T0 + 500)).allowed, true, "the unreleased lease lapsed");
    }));

    it("raises holds on one route, lowers them on another, and lets them lapse", () => withStore(async (store) => {
      const spec = holds({ limit: 3, ttlMs: 700 });
      assert.equal(ok(await store.admit("cart", [{ key: "h", spec, cost: 2 }], T0)).allowed, true);
      assert.equal(ok(await store.admit("cart", [{ key: "h", spec, cost: 2 }], T0 + 100)).allowed, false);
      await store.settle("cart", [{ op: "lower", key: "h", spec, amount: 1 }], T0 + 200);
      assert.equal(ok(await store.admit("cart", [{ key: "h", spec, cost: 2 }], T0 + 300)).items[0]!.remaining, 0);
      assert.equal(ok(await store.admit("cart", [{ key: "h", spec, cost: 3 }], T0 + 1000)).allowed, true, "all holds lapsed");
    }));

    it("answers as the pure algorithms do, for every kind, over a scripted sequence", () => withStore(async (store) => {
      for (const spec of sampleSpecs()) {
        let state: LimitState | undefined;
        for (let i = 0; i < 16; i++) {
          const now = T0 + i * 97;
          const cost = i % 5 === 4 ? 2 : 1;
          const got = ok(await store.admit("seq", [{ key: spec.kind, spec, cost }], now)).items[0]!;
          const want = admitLimit(spec, state, cost, now, "x");
          if (want.allowed) state = want.state;
          assert.deepEqual(
            [got.allowed, got.remaining, got.resetMs, got.retryAfterMs],
            [want.allowed, want.remaining, want.resetMs, want.retryAfterMs],
            `${spec.kind} at step ${i}`,
          );
        }
      }
    }));

    it("never lets a cost above the limit through", () => withStore(async (store) => {
      for (const spec of sampleSpecs()) {
        const result = ok(await store.admit("big", [{ key: spec.kind, spec, cost: 1000 }], T0));
        assert.equal(result.allowed, false, spec.kind);
      }
    }));

    it("denies a malformed cost and ignores a malformed amount (never a refund, never a free pass)", () => withStore(async (store) => {
      const spec = fixedWindow({ limit: 3, windowMs: 1000 });
      for (const cost of [-5, Number.NaN, Number.POSITIVE_INFINITY]) {
        assert.equal(ok(await store.admit("g", [{ key: "k", spec, cost }], T0)).allowed, false, String(cost));
      }
      await store.settle("g", [{ op: "add", key: "k", spec, cost: -2 }, { op: "add", key: "k", spec, cost: Number.NaN }], T0);
      assert.equal(ok(await store.admit("g", [{ key: "k", spec, cost: 1 }], T0)).items[0]!.remaining, 2);
    }));

    it("starts over when a key is reused by a limit of another kind", () => withStore(async (store) => {
      for (const spec of sampleSpecs()) {
        const result = ok(await store.admit("g", [{ key: "shared", spec, cost: 1 }], T0 + 5));
        assert.equal(result.allowed, true, spec.kind);
      }
    }));

    it("property: a denied admission changes nothing (same answers as a store that never saw it)", async () => {
      const specs = sampleSpecs();
      await fc.assert(fc.asyncProperty(
        fc.array(fc.record({
          gap: fc.integer({ min: 0, max: 300 }),
          picks: fc.uniqueArray(fc.integer({ min: 0, max: specs.length - 1 }), { minLength: 1, maxLength: 3 }),
          cost: fc.integer({ min: 1, max: 2 }),
        }), { minLength: 1, maxLength: 25 }),
        async (requests) => {
          const seen = await target.create();
          const clean = await target.create();
          try {
            let now = T0;
            for (const request of requests) {
              now += request.gap;
              const items = request.picks.map((p) => ({ key: `p${p}`, spec: specs[p]!, cost: request.cost }));
              const a = ok(await seen.admit("prop", items, now));
              if (!a.allowed) continue;
              const b = ok(await clean.admit("prop", items, now));
              assert.deepEqual(
                b.items.map((i) => [i.allowed, i.remaining, i.resetMs]),
                a.items.map((i) => [i.allowed, i.remaining, i.resetMs]),
              );
            }
          } finally {
            await seen.close();
            await clean.close();
          }
        },
      ), { numRuns: target.propertyRuns ?? 100 });
    });
  });
}
