/**
 * The Redis LimitStore on a 3-node Redis Cluster this test starts (free ports, torn down after):
 * the keys of one admission share the group's hash tag, so the script runs on one shard, one
 * EVALSHA per admission of 3 limits, all or none.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fixedWindow, slidingWindow, tokenBucket } from "../../src/limits/spec.ts";
import { isStoreUnavailable, type LimitItem } from "../../src/store/limits.ts";
import { createRedisLimitStore, type RedisLimitStore } from "../../src/store/redis/limit-store.ts";
import { commandCalls, startRedisCluster, type RedisCluster } from "../helpers/limits-redis-server.ts";

const THREE: LimitItem[] = [
  { key: "ip:203.0.113.9", spec: fixedWindow({ limit: 100, windowMs: 60_000 }), cost: 1 },
  { key: "prefix:203.0.113.0/24", spec: slidingWindow({ limit: 100, windowMs: 60_000 }), cost: 1 },
  { key: "user:alice", spec: tokenBucket({ capacity: 30, refillPerSecond: 0.01 }), cost: 1 },
];

describe("redis LimitStore on a 3-node Redis Cluster", () => {
  let cluster: RedisCluster;
  let store: RedisLimitStore;
  before(async () => {
    cluster = await startRedisCluster();
    store = createRedisLimitStore({ cluster: cluster.nodes.map((n) => ({ host: "127.0.0.1", port: n.port })), timeoutMs: 1000 });
    const ready = await store.ready(10_000);
    assert.equal(ready, undefined, ready?.message);
  });
  after(async () => {
    await store?.close();
    await cluster?.stop();
  });

  it("runs one EVALSHA per admission of 3 limits, on the one shard holding the group's slot", async () => {
    await Promise.all(cluster.nodes.map((n) => n.admin.config("RESETSTAT")));
    for (let i = 0; i < 20; i++) {
      const result = await store.admit("login", THREE, Date.now());
      assert.ok(!isStoreUnavailable(result) && result.allowed, isStoreUnavailable(result) ? result.message : "denied");
    }
    const calls = await Promise.all(cluster.nodes.map((n) => commandCalls(n.admin, "evalsha")));
    assert.equal(calls.reduce((a, b) => a + b, 0), 20, `evalsha per node: ${calls.join(", ")}`);
    assert.equal(calls.filter((c) => c > 0).length, 1, "every call went to one shard");
    const holders = await Promise.all(cluster.nodes.map(async (n) => (await n.admin.keys("rampart:limit:{login}:*")).length));
    assert.deepEqual(holders.filter((k) => k > 0), [3], `keys per node: ${holders.join(", ")}`);
  });

  it("is all or none on the cluster too", async () => {
    // The token bucket (30) runs out first: 10 more pass, then the admission is refused as a whole.
    const results = [];
    for (let i = 0; i < 12; i++) results.push(await store.admit("login", THREE, Date.now()));
    const allowed = results.filter((r) => !isStoreUnavailable(r) && r.allowed).length;
    assert.equal(allowed, 10);
    const last = results[11]!;
    assert.ok(!isStoreUnavailable(last) && last.deniedIndex === 2);
    const probe = await store.admit("login", [THREE[0]!], Date.now());
    assert.ok(!isStoreUnavailable(probe));
    assert.equal(probe.items[0]!.remaining, 100 - 30 - 1, "the refused admissions spent nothing of the first limit");
  });
});
