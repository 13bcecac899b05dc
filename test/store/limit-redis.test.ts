/** The Redis LimitStore against the shared Redis at 127.0.0.1:6379: the contract, under a unique key prefix removed afterwards. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, it } from "node:test";
import { Redis } from "ioredis";
import { fixedWindow, tokenBucket } from "../../src/limits/spec.ts";
import { isStoreUnavailable } from "../../src/store/limits.ts";
import { createRedisLimitStore, type RedisLimitStore } from "../../src/store/redis/limit-store.ts";
import { runLimitStoreContract, T0 } from "./limit-store-contract.ts";

const run = `t:${randomBytes(4).toString("hex")}:`;
let stores = 0;

async function create(): Promise<RedisLimitStore> {
  const store = createRedisLimitStore({ keyPrefix: `${run}${stores++}:`, timeoutMs: 1000 });
  const ready = await store.ready(5000);
  assert.equal(ready, undefined, `redis at 127.0.0.1:6379 must be up: ${ready?.message}`);
  return store;
}

after(async () => {
  const admin = new Redis({ lazyConnect: true });
  await admin.connect();
  let cursor = "0";
  do {
    const [next, keys] = await admin.scan(cursor, "MATCH", `${run}*`, "COUNT", 1000);
    if (keys.length > 0) await admin.del(...keys);
    cursor = next;
  } while (cursor !== "0");
  admin.disconnect();
});

runLimitStoreContract({ name: "redis", create, propertyRuns: 40 });

/** A fresh store and a plain client to look behind its back; both closed afterwards. */
async function withStoreAndAdmin(check: (store: RedisLimitStore, admin: Redis) => Promise<void>): Promise<void> {
  const store = await create();
  const admin = new Redis({ lazyConnect: true });
  await admin.connect();
  try {
    await check(store, admin);
  } finally {
    admin.disconnect();
    await store.close();
  }
}

describe("redis LimitStore keys", () => {
  it("puts every key of one admission under the group's hash tag, with a TTL", async () => {
    await withStoreAndAdmin(async (store, admin) => {
      const spec = fixedWindow({ limit: 5, windowMs: 60_000 });
      const result = await store.admit("login {odd} group", [{ key: "a", spec, cost: 1 }, { key: "b", spec, cost: 1 }], Date.now());
      assert.ok(!isStoreUnavailable(result) && result.allowed);
      const keys = (await admin.keys(`${run}*`)).filter((k) => k.includes("odd"));
      assert.equal(keys.length, 2);
      for (const key of keys) {
        assert.match(key, /\{login %7bodd%7d group\}:[ab]$/, "braces in a group name cannot break the tag");
        const ttl = await admin.pttl(key);
        assert.ok(ttl > 0 && ttl <= 60_000, `TTL ${ttl}`);
      }
    });
  });

  it("keeps a key's TTL while its expiry does not move, and sets a fresh one when it does", async () => {
    await withStoreAndAdmin(async (store, admin) => {
      const spec = fixedWindow({ limit: 5, windowMs: 60_000 });
      const now = Date.now();
      const key = `${run}${stores - 1}:{ttl}:a`;
      assert.ok(!isStoreUnavailable(await store.admit("ttl", [{ key: "a", spec, cost: 1 }], now)));
      const first = await admin.pttl(key);
      assert.ok(first > 0 && first <= 60_000, `fresh key gets its window's TTL: ${first}`);
      // A shorter TTL set behind the store's back survives an admission in the same window…
      await admin.pexpire(key, 5_000);
      const same = await store.admit("ttl", [{ key: "a", spec, cost: 1 }], now);
      assert.ok(!isStoreUnavailable(same) && same.allowed && same.items[0]!.remaining === 3);
      const kept = await admin.pttl(key);
      assert.ok(kept > 0 && kept <= 5_000, `same window: TTL kept, got ${kept}`);
      // …and is replaced when the key is taken by a limit whose expiry differs.
      const bucket = tokenBucket({ capacity: 10, refillPerSecond: 1 });
      assert.ok(!isStoreUnavailable(await store.admit("ttl", [{ key: "a", spec: bucket, cost: 4 }], now)));
      const moved = await admin.pttl(key);
      assert.ok(moved > 3_000 && moved <= 4_000, `expiry moved: TTL set anew, got ${moved}`);
    });
  });

  it("reads a state in the earlier text format as empty, never misparsed", async () => {
    await withStoreAndAdmin(async (store, admin) => {
      const spec = fixedWindow({ limit: 5, windowMs: 60_000 });
      const now = Date.now();
      const start = now - (now % 60_000);
      await admin.set(`${run}${stores - 1}:{old}:a`, `fw|${start},5`, "PX", 60_000);
      const result = await store.admit("old", [{ key: "a", spec, cost: 1 }], now);
      assert.ok(!isStoreUnavailable(result) && result.allowed && result.items[0]!.remaining === 4);
    });
  });

  it("admits exactly the limit among admissions sent in the same event-loop turn", async () => {
    const store = await create();
    try {
      const spec = fixedWindow({ limit: 100, windowMs: 60_000 });
      const now = Date.now();
      const results = await Promise.all(Array.from({ length: 300 }, (_, i) =>
        store.admit("turn", [{ key: "shared", spec, cost: 1 }, { key: `own:${i % 7}`, spec, cost: 1 }], now)));
      assert.ok(results.every((r) => !isStoreUnavailable(r)));
      assert.equal(results.filter((r) => !isStoreUnavailable(r) && r.allowed).length, 100);
    } finally {
      await store.close();
    }
  });

  it("fails fast with StoreUnavailable when nothing listens", async () => {
    const store = createRedisLimitStore({ port: 1, timeoutMs: 100, connectTimeoutMs: 100 });
    const started = Date.now();
    const result = await store.admit("g", [{ key: "k", spec: fixedWindow({ limit: 1, windowMs: 1000 }), cost: 1 }], T0);
    assert.ok(isStoreUnavailable(result), "a value, not a throw");
    assert.ok(Date.now() - started < 600, `answered in ${Date.now() - started} ms`);
    assert.ok(isStoreUnavailable(await store.ready(200)));
    await store.close();
  });
});
