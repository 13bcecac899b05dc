/**
 * One script call per admission, whatever the number of limits: a gateway process on a Redis
 * (and on a 3-node Redis Cluster) started by this test, a route with 3 limits, N requests one
 * at a time → N EVALSHA in `INFO commandstats`, and nothing else run per request. Requests
 * that arrive together share calls (one per event-loop turn): never more than one each, and
 * every admission is still counted by all 3 limits.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Pool } from "undici";
import {
  get, poolTo, spawnGateway, startCountingUpstream, type CountingUpstream, type GatewayProcess, waitUntilReady,
} from "../helpers/integration-gateways.ts";
import { commandCalls, startRedis, startRedisCluster, type RedisCluster, type RedisServer } from "../helpers/limits-redis-server.ts";

const REQUESTS = 60;
const THREE_LIMITS = `
  - path: /api/items/:id
    methods: [GET]
    upstream: api
    rate_limits:
      - { name: per_ip, limit: 100000, window: 1m, key: [ip] }
      - { name: per_prefix, algorithm: sliding_log, limit: 1000, window: 1m, key: [ip_prefix] }
      - { name: everyone, algorithm: fixed_window, limit: 100000, window: 1h, key: [global] }`;

/** Sends REQUESTS requests, `together` at a time; each must be admitted. */
async function admitAll(pool: Pool, together: number): Promise<void> {
  for (let i = 0; i < REQUESTS; i += together) {
    const answers = await Promise.all(Array.from({ length: together }, (_, j) => get(pool, `/api/items/${i + j}`)));
    assert.deepEqual(answers.map((a) => a.status), Array(together).fill(200));
  }
}

/** Admissions the per-prefix sliding log holds: one entry per admission it counted. */
async function logEntries(admin: { keys(pattern: string): Promise<string[]>; get(key: string): Promise<string | null> }): Promise<number> {
  const [key] = await admin.keys("rampart:limit:{api_items_id}:*per_prefix*");
  if (key === undefined) return 0;
  const log = (await admin.get(key)) ?? "";
  return log === "" ? 0 : log.split(",").length;
}

describe("at most one EVALSHA per admission of 3 limits", () => {
  let upstream: CountingUpstream;
  before(async () => { upstream = await startCountingUpstream(); });
  after(async () => { await upstream?.close(); });

  describe("on a Redis the test starts", () => {
    let redis: RedisServer;
    let gateway: GatewayProcess;
    let pool: Pool;
    before(async () => {
      redis = await startRedis();
      gateway = await spawnGateway({ upstream: upstream.url, routes: THREE_LIMITS, stores: `  limits: { driver: redis, host: 127.0.0.1, port: ${redis.port}, timeout: 1s }` });
      await waitUntilReady(gateway);
      pool = poolTo(gateway.url, 10);
    });
    after(async () => {
      await pool?.destroy();
      await gateway?.stop();
      await redis?.stop();
    });

    it(`runs exactly ${REQUESTS} EVALSHA for ${REQUESTS} requests sent one at a time, and the 3 limits counted each one`, async () => {
      await redis.admin.config("RESETSTAT");
      await admitAll(pool, 1);
      assert.equal(await commandCalls(redis.admin, "evalsha"), REQUESTS);
      assert.equal(await commandCalls(redis.admin, "eval"), 0);
      // The 3 limits live under the route's hash tag: one key each for this one client.
      const keys = await redis.admin.keys("rampart:limit:{api_items_id}:*");
      assert.equal(keys.length, 3, keys.join(", "));
      const global = keys.find((key) => key.includes("everyone"));
      assert.ok(global !== undefined, keys.join(", "));
      assert.equal(await logEntries(redis.admin), REQUESTS);
    });

    it("shares calls among requests that arrive together: never more than one each, every one counted", async () => {
      const before = await logEntries(redis.admin);
      await redis.admin.config("RESETSTAT");
      await admitAll(pool, 10);
      const calls = await commandCalls(redis.admin, "evalsha");
      assert.ok(calls >= REQUESTS / 10 && calls <= REQUESTS, `${calls} EVALSHA for ${REQUESTS} requests`);
      assert.equal(await logEntries(redis.admin) - before, REQUESTS);
    });
  });

  describe("on a 3-node Redis Cluster the test starts", () => {
    let cluster: RedisCluster;
    let gateway: GatewayProcess;
    let pool: Pool;
    before(async () => {
      cluster = await startRedisCluster();
      const seeds = cluster.nodes.map((node) => `{ host: 127.0.0.1, port: ${node.port} }`).join(", ");
      gateway = await spawnGateway({ upstream: upstream.url, routes: THREE_LIMITS, stores: `  limits: { driver: redis, cluster: [${seeds}], timeout: 1s }` });
      await waitUntilReady(gateway);
      pool = poolTo(gateway.url, 10);
    });
    after(async () => {
      await pool?.destroy();
      await gateway?.stop();
      await cluster?.stop();
    });

    it(`runs exactly ${REQUESTS} EVALSHA over the cluster, all on the one shard holding the route's hash tag`, async () => {
      await Promise.all(cluster.nodes.map((node) => node.admin.config("RESETSTAT")));
      await admitAll(pool, 1);
      const calls = await Promise.all(cluster.nodes.map((node) => commandCalls(node.admin, "evalsha")));
      assert.equal(calls.reduce((a, b) => a + b, 0), REQUESTS, `evalsha per node: ${calls.join(", ")}`);
      assert.deepEqual(calls.filter((c) => c > 0), [REQUESTS], `evalsha per node: ${calls.join(", ")}`);
      const keys = await Promise.all(cluster.nodes.map(async (node) => (await node.admin.keys("rampart:limit:{api_items_id}:*")).length));
      assert.deepEqual(keys.filter((k) => k > 0), [3], `keys per node: ${keys.join(", ")}`);
    });
  });
});
