/**
 * Redis Controls on a real Redis: the shared contract (cross-instance part included), real-clock
 * expiry and cleanup, the audit trail, the size bound, and what happens when Redis dies, hangs,
 * or drops one instance's connection while changes are made (the set is reloaded).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type Server, type Socket, connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { pino } from "pino";
import type { NewBlock } from "../../src/engine/index.ts";
import { ControlsUnavailableError, createRedisControls, type RedisControls, type RedisControlsOptions } from "../../src/store/redis/controls.ts";
import { freePort, startRedis, waitFor } from "../helpers/limits-redis-server.ts";
import { runControlsContract } from "./controls-contract.ts";

const REDIS_PORT = 6379;
const KEY_NAMES = ["blocks", "expiry", "age", "audit", "seq"];

const ipBlock = (value: string, over: Partial<NewBlock> = {}): NewBlock => ({ kind: "ip", value, reason: "test", author: "alice", source: "operator", ...over });

/** A prefix no other test uses, and a function that deletes its keys. */
function uniquePrefix(): { prefix: string; cleanup(admin: Redis): Promise<void> } {
  const prefix = `rampart-test-${randomBytes(6).toString("hex")}:`;
  return { prefix, cleanup: async (admin) => void (await admin.del(...KEY_NAMES.map((n) => `${prefix}{controls}:${n}`))) };
}

let admin: Redis;
before(async () => {
  admin = new Redis({ port: REDIS_PORT, host: "127.0.0.1", maxRetriesPerRequest: 1 });
  await admin.ping();
});
after(() => admin.disconnect());

/** Opens controls and waits for the first load. */
async function open(options: RedisControlsOptions): Promise<RedisControls> {
  const controls = createRedisControls({ redis: { port: REDIS_PORT }, timeoutMs: 1000, ...options });
  try {
    await controls.ready;
  } catch (error) {
    await controls.close();
    throw error;
  }
  return controls;
}

runControlsContract("redis", async () => {
  let time = 1_700_000_000_000;
  const now = () => time;
  const { prefix, cleanup } = uniquePrefix();
  const controls = await open({ prefix, now });
  return {
    controls,
    now,
    advance: (ms: number) => void (time += ms),
    peer: async () => {
      const peer = await open({ prefix, now });
      return { controls: peer, close: () => peer.close() };
    },
    close: async () => {
      await controls.close();
      await cleanup(admin);
    },
  };
}, { shared: true });

/** A TCP relay to Redis that the test can cut and restore, to take one instance offline. */
async function startRelay(targetPort: number): Promise<{ port: number; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = () => new Promise<void>((resolve, reject) => {
    const s = createServer((client) => {
      const upstream = connect(targetPort, "127.0.0.1");
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        socket.on("error", () => { client.destroy(); upstream.destroy(); });
      }
      client.pipe(upstream).pipe(client);
    });
    s.once("error", reject);
    s.listen(port, "127.0.0.1", () => { server = s; resolve(); });
  });
  const cut = () => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy();
    if (server === undefined) return resolve();
    server.close(() => resolve());
    server = undefined;
  });
  await listen();
  return { port, cut, restore: listen, close: cut };
}

describe("redis Controls", () => {
  it("expires blocks by the real clock on every instance, and cleans them out of Redis", async () => {
    const { prefix, cleanup } = uniquePrefix();
    const a = await open({ prefix });
    const b = await open({ prefix });
    try {
      await a.addBlock(ipBlock("203.0.113.7", { ttlMs: 300 }));
      await waitFor("the block on b", () => b.findBlock({ ip: "203.0.113.7" }, Date.now()) !== undefined, 1000);
      await new Promise((resolve) => setTimeout(resolve, 320));
      assert.equal(a.findBlock({ ip: "203.0.113.7" }, Date.now()), undefined);
      assert.equal(b.findBlock({ ip: "203.0.113.7" }, Date.now()), undefined);
      assert.deepEqual(b.listBlocks(Date.now()), []);
      // The next change prunes expired records, so Redis does not keep them.
      await b.addBlock(ipBlock("192.0.2.1"));
      assert.deepEqual(await admin.hkeys(`${prefix}{controls}:blocks`), ["ip:192.0.2.1"]);
      assert.equal(await admin.zcard(`${prefix}{controls}:expiry`), 0);
      assert.equal(await a.removeBlock("ip", "203.0.113.7", "bob"), false, "an expired block cannot be removed");
    } finally {
      await Promise.all([a.close(), b.close()]);
      await cleanup(admin);
    }
  });

  it("audits every change with its author, newest first, and keeps at most auditMax entries", async () => {
    const { prefix, cleanup } = uniquePrefix();
    let time = 1_700_000_000_000;
    const a = await open({ prefix, now: () => time, auditMax: 3 });
    try {
      await a.addBlock(ipBlock("203.0.113.7", { author: "alice", reason: "credential stuffing", ttlMs: 3_600_000 }));
      time += 1000;
      assert.equal(await a.removeBlock("ip", "::ffff:203.0.113.7", "bob"), true);
      assert.equal(await a.removeBlock("ip", "203.0.113.7", "bob"), false);
      const [removal, addition, ...rest] = await a.readAudit();
      assert.deepEqual(rest, [], "a removal of nothing is not audited");
      assert.deepEqual(addition, {
        time: 1_700_000_000_000, action: "add", kind: "ip", value: "203.0.113.7", author: "alice",
        reason: "credential stuffing", source: "operator", ttlMs: 3_600_000,
      });
      assert.deepEqual(removal, {
        time: 1_700_000_001_000, action: "remove", kind: "ip", value: "203.0.113.7", author: "bob",
        reason: "credential stuffing", source: "operator", ttlMs: null,
      });
      for (const ip of ["192.0.2.1", "192.0.2.2", "192.0.2.3"]) await a.addBlock(ipBlock(ip, { author: "carol", source: "penalty" }));
      const trail = await a.readAudit(10);
      assert.deepEqual(trail.map((e) => e.value), ["192.0.2.3", "192.0.2.2", "192.0.2.1"]);
      assert.ok(trail.every((e) => e.author === "carol" && e.source === "penalty" && e.ttlMs === null));
    } finally {
      await a.close();
      await cleanup(admin);
    }
  });

  it("keeps at most maxEntries blocks, in Redis and in every replica, evicting the oldest", async () => {
    const { prefix, cleanup } = uniquePrefix();
    let time = 1_700_000_000_000;
    const now = () => time;
    const a = await open({ prefix, now, maxEntries: 3 });
    const b = await open({ prefix, now, maxEntries: 3 });
    try {
      for (const ip of ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]) {
        await a.addBlock(ipBlock(ip));
        time += 1;
      }
      await waitFor("b at the newest block", () => b.findBlock({ ip: "10.0.0.4" }, now()) !== undefined, 1000);
      assert.equal(await admin.hlen(`${prefix}{controls}:blocks`), 3);
      assert.deepEqual(b.listBlocks(now()).map((x) => x.value).sort(), ["10.0.0.2", "10.0.0.3", "10.0.0.4"]);
      assert.equal(a.findBlock({ ip: "10.0.0.1" }, now()), undefined);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await cleanup(admin);
    }
  });

  it("concurrent changes from two instances on the same blocks converge to what Redis holds", async () => {
    const { prefix, cleanup } = uniquePrefix();
    const a = await open({ prefix });
    const b = await open({ prefix });
    try {
      const ips = Array.from({ length: 8 }, (_, i) => `192.0.2.${i + 1}`);
      // A fixed pseudo-random order, so a failure can be replayed.
      let seed = 42;
      const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
      const ops = Array.from({ length: 300 }, () => {
        const target = next() < 0.5 ? a : b;
        const ip = ips[Math.floor(next() * ips.length)] as string;
        return next() < 0.6 ? () => target.addBlock(ipBlock(ip, { reason: String(next()) })) : () => target.removeBlock("ip", ip, "bob");
      });
      await Promise.all(ops.map((op) => op()));
      const stored = async () => {
        const all = await admin.hgetall(`${prefix}{controls}:blocks`);
        return Object.values(all).map((text) => { const r = JSON.parse(text) as { value: string; reason: string }; return `${r.value}=${r.reason}`; }).sort().join();
      };
      const replica = (c: RedisControls) => c.listBlocks(Date.now()).map((x) => `${x.value}=${x.reason}`).sort().join();
      const expected = await stored();
      await waitFor("both replicas equal to Redis", () => replica(a) === expected && replica(b) === expected, 1000);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await cleanup(admin);
    }
  });

  it("skips records it cannot read and loads the rest", async () => {
    const { prefix, cleanup } = uniquePrefix();
    const a = await open({ prefix });
    try {
      await a.addBlock(ipBlock("192.0.2.9"));
      await admin.hset(`${prefix}{controls}:blocks`, "ip:192.0.2.10", "{not json", "ip:192.0.2.11", JSON.stringify({ kind: "ip", value: "192.0.2.11" }));
      const b = await open({ prefix });
      try {
        assert.deepEqual(b.listBlocks(Date.now()).map((x) => x.value), ["192.0.2.9"]);
      } finally {
        await b.close();
      }
    } finally {
      await a.close();
      await cleanup(admin);
    }
  });

  it("an instance cut off from Redis keeps answering, refuses changes at once, and reloads what it missed on reconnect", async () => {
    const { prefix, cleanup } = uniquePrefix();
    const relay = await startRelay(REDIS_PORT);
    const a = await open({ prefix });
    const events: string[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void events.push((JSON.parse(line) as { event: string }).event) });
    const b = await open({ prefix, redis: { port: relay.port }, timeoutMs: 200, maxReconnectDelayMs: 100, logger });
    try {
      await a.addBlock(ipBlock("203.0.113.1"));
      await a.addBlock(ipBlock("203.0.113.2"));
      await waitFor("both blocks on b", () => b.listBlocks(Date.now()).length === 2, 1000);
      assert.equal(b.isFollowing(), true);
      await relay.cut();
      await waitFor("b no longer following", () => !b.isFollowing(), 2000);
      await waitFor("b disconnected", async () => {
        await assert.rejects(b.addBlock(ipBlock("198.51.100.1")), ControlsUnavailableError);
        return true;
      }, 2000);
      // Changes b cannot hear about: one added, one removed.
      await a.addBlock(ipBlock("203.0.113.3"));
      assert.equal(await a.removeBlock("ip", "203.0.113.1", "alice"), true);
      assert.ok(b.findBlock({ ip: "203.0.113.1" }, Date.now()), "b answers from its replica while cut off");
      const started = performance.now();
      const refused = await b.addBlock(ipBlock("198.51.100.2")).then(() => undefined, (error: unknown) => error);
      assert.ok(refused instanceof ControlsUnavailableError);
      assert.equal(refused.maybeApplied, false);
      assert.match(refused.message, /not saved: Redis is not connected/);
      assert.ok(performance.now() - started < 200 + 500);
      await relay.restore();
      await waitFor("b reloaded the set", () => {
        const values = b.listBlocks(Date.now()).map((x) => x.value).sort();
        return values.join() === "203.0.113.2,203.0.113.3";
      }, 3000);
      assert.equal(b.isFollowing(), true, "following again after the reload");
      assert.deepEqual(events.filter((e) => e === "controls.disconnected"), ["controls.disconnected"], "the outage is logged once");
      // And it is live again: changes from a arrive by message.
      await a.addBlock(ipBlock("203.0.113.4"));
      await waitFor("a new block on b", () => b.findBlock({ ip: "203.0.113.4" }, Date.now()) !== undefined, 1000);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await relay.close();
      await cleanup(admin);
    }
  });

  it("with Redis down at start, ready rejects in time and the set loads once Redis answers", async () => {
    const { prefix, cleanup } = uniquePrefix();
    const a = await open({ prefix });
    await a.addBlock(ipBlock("203.0.113.50"));
    const relay = await startRelay(REDIS_PORT);
    await relay.cut();
    const b = createRedisControls({ redis: { port: relay.port }, prefix, timeoutMs: 200, readyTimeoutMs: 300, maxReconnectDelayMs: 100 });
    try {
      const started = performance.now();
      await assert.rejects(b.ready, (error: unknown) => error instanceof ControlsUnavailableError && /not loaded from Redis within 300 ms/.test(error.message));
      assert.ok(performance.now() - started < 300 + 500);
      assert.equal(b.findBlock({ ip: "203.0.113.50" }, Date.now()), undefined);
      await relay.restore();
      await waitFor("b loaded the set", () => b.findBlock({ ip: "203.0.113.50" }, Date.now()) !== undefined, 3000);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await relay.close();
      await cleanup(admin);
    }
  });

  it("a killed Redis: lookups still answer, changes reject within timeout + 500 ms; a hung one: the same", async () => {
    const server = await startRedis();
    const timeoutMs = 200;
    const controls = await open({ redis: { port: server.port }, prefix: "rampart:", timeoutMs, maxReconnectDelayMs: 100 });
    try {
      await controls.addBlock(ipBlock("203.0.113.7"));
      server.kill("SIGSTOP");
      let started = performance.now();
      const hung = await controls.addBlock(ipBlock("203.0.113.8")).then(() => undefined, (error: unknown) => error);
      assert.ok(hung instanceof ControlsUnavailableError, `got ${String(hung)}`);
      assert.equal(hung.maybeApplied, true, "sent but unconfirmed: it may have been applied");
      assert.ok(performance.now() - started <= timeoutMs + 500, `took ${performance.now() - started} ms`);
      assert.equal(controls.findBlock({ ip: "203.0.113.7" }, Date.now())?.value, "203.0.113.7");
      server.kill("SIGCONT");
      server.kill("SIGKILL");
      for (let i = 0; i < 5; i++) {
        started = performance.now();
        await assert.rejects(controls.addBlock(ipBlock(`198.51.100.${i}`)), ControlsUnavailableError);
        await assert.rejects(controls.removeBlock("ip", "203.0.113.7", "alice"), ControlsUnavailableError);
        await assert.rejects(controls.readAudit(), ControlsUnavailableError);
        assert.ok(performance.now() - started <= timeoutMs + 500, `took ${performance.now() - started} ms`);
        assert.equal(controls.findBlock({ ip: "203.0.113.7" }, Date.now())?.value, "203.0.113.7", "the replica keeps answering");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await controls.close();
      await server.stop();
    }
  });
});
