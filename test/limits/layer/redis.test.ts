/** The rate-limit layer on a real, test-owned Redis: one EVALSHA per admission whatever the number of limits, and the open policy when Redis dies. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createLimitStore } from "../../../src/compose/limit-store.ts";
import { compose } from "../../../src/compose/pipeline.ts";
import type { LayerContext } from "../../../src/engine/index.ts";
import type { RedisLimitStore } from "../../../src/store/redis/limit-store.ts";
import { createMemoryControls } from "../../../src/store/memory/controls.ts";
import { commandCalls, startRedis, type RedisServer } from "../../helpers/limits-redis-server.ts";
import { configOf, request } from "../../helpers/limits-layer-requests.ts";

describe("rate-limit layer on Redis", () => {
  let redis: RedisServer;
  let store: RedisLimitStore;
  before(async () => {
    redis = await startRedis();
    store = createLimitStore({
      driver: "redis", host: "127.0.0.1", port: redis.port, cluster: undefined, username: undefined, password: undefined,
      db: undefined, keyPrefix: undefined, timeoutMs: 100, connectTimeoutMs: 500,
    }) as RedisLimitStore;
    assert.equal(await store.ready(2000), undefined);
  });
  after(async () => {
    await store.close();
    await redis.stop();
  });

  it("admits 3 limits in one script call per request, and falls back to memory when Redis is killed", async () => {
    const now = Date.now();
    const composed = compose(configOf(`
routes:
  - path: /login
    methods: [POST]
    upstream: api
    rate_limits:
      - { name: per_user, limit: 5, window: 1m, key: [body.username] }
      - { name: per_ip, limit: 20, window: 1m, key: [ip] }
      - { name: per_prefix, limit: 100, window: 1m, key: [ip_prefix] }`), { controls: createMemoryControls(), now: () => now, limitStore: store });
    const send = async () => {
      const pending = composed.pipeline.evaluate(request(composed.router, { method: "POST", path: "/login", json: { username: "grace" } }));
      assert.ok(pending instanceof Promise, "a Redis admission is answered asynchronously");
      return ((await pending) as LayerContext).decision!;
    };
    const before = await commandCalls(redis.admin, "evalsha");
    const actions: string[] = [];
    for (let i = 0; i < 6; i++) actions.push((await send()).action);
    assert.deepEqual(actions, ["allow", "allow", "allow", "allow", "allow", "throttle"]);
    assert.equal(await commandCalls(redis.admin, "evalsha") - before, 6, "one script call per admission, 3 limits each");

    redis.kill();
    const started = performance.now();
    const decision = await send();
    const took = performance.now() - started;
    assert.equal(decision.action, "allow", "on_store_error open: local memory limits");
    assert.equal(decision.errors[0]?.policy, "open");
    assert.match(decision.errors[0]?.message ?? "", /^limit store unavailable \(/);
    assert.ok(took < 100 + 500, `answered in ${Math.round(took)} ms`);
  });
});
