/**
 * One script call per admission, whatever the number of limits: a gateway process on a Redis
 * (and on a 3-node Redis Cluster) started by this test, a route with 3 limits, N requests →
 * N EVALSHA in `INFO commandstats`, and nothing else run per request.
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

/** Sends REQUESTS requests, 10 at a time; each must be admitted with the 3 limits advertised. */
async function admitAll(pool: Pool): Promise<void> {
  for (let i = 0; i < REQUESTS; i += 10) {
    const answers = await Promise.all(Array.from({ length: 10 }, (_, j) => get(pool, `/api/items/${i + j}`)));
    assert.deepEqual(answers.map((a) => a.status), Array(10).fill(200));
  }
}

describe("one EVALSHA per admission of 3 limits", () => {
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

    it(`runs exactly ${REQUESTS} EVALSHA for ${REQUESTS} requests, and the 3 limits counted each one`, async () => {
      await redis.admin.config("RESETSTAT");
      await admitAll(pool);
      assert.equal(await commandCalls(redis.admin, "evalsha"), REQUESTS);
      assert.equal(await commandCalls(redis.admin, "eval"), 0);
      // The 3 limits live under the route's hash tag: one key each for this one client.
      const keys = await redis.admin.keys("rampart:limit:{api_items_id}:*");
      assert.equal(keys.length, 3, keys.join(", "));
      const global = keys.find((key) => key.includes("everyone"));
      assert.ok(global !== undefined, keys.join(", "));
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
      await admitAll(pool);
      const calls = await Promise.all(cluster.nodes.map((node) => commandCalls(node.admin, "evalsha")));
      assert.equal(calls.reduce((a, b) => a + b, 0), REQUESTS, `evalsha per node: ${calls.join(", ")}`);
      assert.deepEqual(calls.filter((c) => c > 0), [REQUESTS], `evalsha per node: ${calls.join(", ")}`);
      const keys = await Promise.all(cluster.nodes.map(async (node) => (await node.admin.keys("rampart:limit:{api_items_id}:*")).length));
      assert.deepEqual(keys.filter((k) => k > 0), [3], `keys per node: ${keys.join(", ")}`);
    });
  });
});
