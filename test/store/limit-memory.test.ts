/** The memory LimitStore: the contract, synchronous answers, and eviction (expired first, then least recently used). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fixedWindow, tokenBucket } from "../../src/limits/spec.ts";
import { createMemoryLimitStore } from "../../src/store/memory/limit-store.ts";
import { runLimitStoreContract, T0 } from "./limit-store-contract.ts";

runLimitStoreContract({ name: "memory", create: () => createMemoryLimitStore() });

describe("memory LimitStore", () => {
  it("answers synchronously (a value, not a promise)", () => {
    const store = createMemoryLimitStore();
    const result = store.admit("g", [{ key: "k", spec: fixedWindow({ limit: 1, windowMs: 1000 }), cost: 1 }], T0);
    assert.equal(typeof (result as unknown as { then?: unknown }).then, "undefined");
    assert.equal(result.allowed, true);
    assert.equal(store.settle("g", [], T0), undefined);
  });

  it("stays within its byte budget, evicting expired keys before live ones", () => {
    const store = createMemoryLimitStore({ maxBytes: 64 * 1024 });
    const shortLived = fixedWindow({ limit: 5, windowMs: 1000 });
    const longLived = fixedWindow({ limit: 5, windowMs: 3_600_000 });
    // Fill the store with long-lived keys, then short-lived ones that expire.
    let n = 0;
    while (store.bytes < 60 * 1024 && n < 10_000) {
      store.admit("g", [{ key: `live${n}`, spec: n % 2 === 0 ? longLived : shortLived, cost: 1 }], T0);
      n++;
    }
    const full = store.size;
    assert.ok(full > 100 && store.bytes <= 64 * 1024, `${full} keys, ${store.bytes} bytes`);
    // After the short windows expired, new keys replace expired ones; every long-lived key stays.
    for (let i = 0; i < full / 2 - 1; i++) store.admit("g", [{ key: `new${i}`, spec: longLived, cost: 1 }], T0 + 2000);
    assert.ok(store.bytes <= 64 * 1024);
    for (let i = 0; i < n; i += 2) {
      const again = store.admit("g", [{ key: `live${i}`, spec: longLived, cost: 0 }], T0 + 2000);
      assert.equal(again.items[0]!.remaining, 4, `live${i} kept its count`);
    }
  });

  it("evicts the least recently used key when none has expired", () => {
    const store = createMemoryLimitStore({ maxBytes: 64 * 1024 });
    const spec = tokenBucket({ capacity: 1000, refillPerSecond: 0.001 });
    const hot = [{ key: "hot", spec, cost: 1 }];
    store.admit("g", hot, T0);
    for (let i = 0; i < 5000; i++) {
      store.admit("g", [{ key: `rotating${i}`, spec, cost: 1 }], T0 + i);
      if (i % 50 === 0) store.admit("g", hot, T0 + i);
      assert.ok(store.bytes <= 64 * 1024);
    }
    const hotNow = store.admit("g", [{ key: "hot", spec, cost: 0 }], T0 + 5000);
    assert.equal(hotNow.items[0]!.remaining, 1000 - 1 - 100, "the key in use was never evicted");
  });

  it("refuses a budget too small to hold anything useful", () => {
    assert.throws(() => createMemoryLimitStore({ maxBytes: 100 }), RangeError);
  });
});
