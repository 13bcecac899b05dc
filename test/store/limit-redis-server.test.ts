/**
 * The Redis LimitStore against a redis-server this test starts: one EVALSHA per admission of 3
 * limits (INFO commandstats), admissions that wait for the group's call in flight sent in one,
 * reload after SCRIPT FLUSH, fast StoreUnavailable when Redis is killed under load or hangs,
 * and recovery when it comes back.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fixedWindow, slidingWindow, tokenBucket } from "../../src/limits/spec.ts";
import { isStoreUnavailable, type AdmitResult, type LimitItem } from "../../src/store/limits.ts";
import { createRedisLimitStore } from "../../src/store/redis/limit-store.ts";
import { commandCalls, startRedis, waitFor, type RedisServer } from "../helpers/limits-redis-server.ts";

const THREE: LimitItem[] = [
  { key: "ip:203.0.113.9", spec: fixedWindow({ limit: 1_000_000, windowMs: 60_000 }), cost: 1 },
  { key: "prefix:203.0.113.0/24", spec: slidingWindow({ limit: 1_000_000, windowMs: 60_000 }), cost: 1 },
  { key: "user:alice", spec: tokenBucket({ capacity: 1_000_000, refillPerSecond: 10 }), cost: 1 },
];

describe("redis LimitStore on a test-owned server", () => {
  let server: RedisServer;
  before(async () => { server = await startRedis(); });
  after(async () => { await server.stop(); });

  it("makes exactly one EVALSHA per admission of 3 limits, and reloads the script after SCRIPT FLUSH", async () => {
    const store = createRedisLimitStore({ port: server.port, timeoutMs: 1000 });
    try {
      assert.equal(await store.ready(5000), undefined);
      await server.admin.config("RESETSTAT");
      for (let i = 0; i < 25; i++) {
        const result = await store.admit("login", THREE, Date.now());
        assert.ok(!isStoreUnavailable(result) && result.allowed && result.items.length === 3);
      }
      assert.equal(await commandCalls(server.admin, "evalsha"), 25);
      assert.equal(await commandCalls(server.admin, "eval"), 0);
      await server.admin.script("FLUSH");
      await server.admin.config("RESETSTAT");
      const again = await store.admit("login", THREE, Date.now());
      assert.ok(!isStoreUnavailable(again) && again.allowed, "NOSCRIPT is answered by loading the script");
      assert.equal(await commandCalls(server.admin, "evalsha"), 2, "the failed call and its retry");
    } finally {
      await store.close();
    }
  });

  it("sends the admissions that arrive while the group's call is in flight together, in one call when it answers", async () => {
    const slow = await startRedis();
    const store = createRedisLimitStore({ port: slow.port, timeoutMs: 5000 });
    const spec = fixedWindow({ limit: 4, windowMs: 60_000 });
    const now = Date.now();
    try {
      assert.equal(await store.ready(5000), undefined);
      await slow.admin.config("RESETSTAT");
      // Redis paused: the first call stays in flight while three more admissions arrive, each in a turn of its own.
      slow.kill("SIGSTOP");
      const first = store.admit("cart", [{ key: "alice", spec, cost: 1 }], now);
      const later: Promise<AdmitResult>[] = [];
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        later.push(store.admit("cart", [{ key: "alice", spec, cost: 1 }], now));
      }
      slow.kill("SIGCONT");
      const answers = [await first, ...(await Promise.all(later))];
      assert.deepEqual(answers.map((a) => !isStoreUnavailable(a) && a.allowed), [true, true, true, true]);
      assert.equal(await commandCalls(slow.admin, "evalsha"), 2, "the first call, then the three that waited, together");
      const fifth = await store.admit("cart", [{ key: "alice", spec, cost: 1 }], now);
      assert.ok(!isStoreUnavailable(fifth) && !fifth.allowed, "every one of the four was counted");
    } finally {
      slow.kill("SIGCONT");
      await store.close();
      await slow.stop();
    }
  });

  it("answers StoreUnavailable within the timeout while Redis hangs (SIGSTOP)", async () => {
    const hung = await startRedis();
    const store = createRedisLimitStore({ port: hung.port, timeoutMs: 150 });
    try {
      assert.equal(await store.ready(5000), undefined);
      hung.kill("SIGSTOP");
      const durations = await Promise.all(Array.from({ length: 20 }, async () => {
        const started = performance.now();
        const result = await store.admit("g", THREE, Date.now());
        assert.ok(isStoreUnavailable(result));
        return performance.now() - started;
      }));
      assert.ok(Math.max(...durations) <= 150 + 500, `slowest answer ${Math.max(...durations)} ms`);
      // An admission made while the hung call is still out waits behind it, and still answers in time.
      const first = store.admit("g", THREE, Date.now());
      await new Promise((resolve) => setTimeout(resolve, 60));
      const started = performance.now();
      const queued = await store.admit("g", THREE, Date.now());
      const waited = performance.now() - started;
      assert.ok(isStoreUnavailable(await first) && isStoreUnavailable(queued));
      assert.ok(waited <= 150 + 500, `an admission queued behind the hung call waited ${waited} ms`);
    } finally {
      hung.kill("SIGCONT");
      await store.close();
      await hung.stop();
    }
  });

  it("killed under load: every admission answers within timeout + 500 ms, then recovers when Redis returns", async () => {
    const victim = await startRedis();
    const timeoutMs = 200;
    const store = createRedisLimitStore({ port: victim.port, timeoutMs, maxReconnectDelayMs: 200 });
    try {
      assert.equal(await store.ready(5000), undefined);
      let killedAt = Infinity;
      let running = true;
      const samples: Array<{ started: number; ms: number; unavailable: boolean }> = [];
      const worker = async () => {
        while (running) {
          const started = performance.now();
          const result = await store.admit("g", THREE, Date.now());
          samples.push({ started, ms: performance.now() - started, unavailable: isStoreUnavailable(result) });
          if (isStoreUnavailable(result)) await new Promise((resolve) => setTimeout(resolve, 5));
        }
      };
      const workers = Array.from({ length: 32 }, worker);
      await new Promise((resolve) => setTimeout(resolve, 300));
      killedAt = performance.now();
      victim.kill("SIGKILL");
      await new Promise((resolve) => setTimeout(resolve, 1000));
      running = false;
      await Promise.all(workers);
      const before = samples.filter((s) => s.started < killedAt - 50);
      const afterKill = samples.filter((s) => s.started > killedAt + 50);
      assert.ok(before.length > 100 && before.every((s) => !s.unavailable), `${before.length} admissions before the kill`);
      assert.ok(afterKill.length > 100 && afterKill.every((s) => s.unavailable), `${afterKill.length} admissions after the kill`);
      const slowest = Math.max(...samples.map((s) => s.ms));
      assert.ok(slowest <= timeoutMs + 500, `slowest admission took ${slowest} ms`);
      // The same port comes back: the store reconnects by itself (backoff capped at 200 ms here).
      const revived = await startRedis({ port: victim.port });
      try {
        await waitFor("admissions to succeed again", async () => !isStoreUnavailable(await store.admit("g", THREE, Date.now())), 5000);
      } finally {
        await revived.stop();
      }
    } finally {
      await store.close();
      await victim.stop();
    }
  });
});
