/**
 * /readyz and the stores: a gateway started while its Redis is down starts anyway (bounded
 * waits), says why in `store:limits` and `store:controls`, stays out of rotation until the
 * blocks are loaded, becomes ready by itself once Redis answers, and stays ready (saying why)
 * when Redis goes away later.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { spawnGateway, startCountingUpstream, waitForLog, waitUntilReady, type CountingUpstream, type GatewayProcess } from "../helpers/integration-gateways.ts";
import { freePort, startRedis, type RedisServer } from "../helpers/limits-redis-server.ts";

describe("stores in /readyz", () => {
  let upstream: CountingUpstream;
  let gateway: GatewayProcess;
  let redis: RedisServer | undefined;
  let port: number;

  before(async () => {
    upstream = await startCountingUpstream();
    port = await freePort();
    const started = performance.now();
    gateway = await spawnGateway({
      upstream: upstream.url,
      routes: `
  - path: /login
    methods: [POST]
    upstream: api
    rate_limits:
      - { name: per_ip, limit: 10, window: 1m, key: [ip], on_store_error: closed }`,
      stores: `  limits: { driver: redis, host: 127.0.0.1, port: ${port}, timeout: 100ms, connect_timeout: 300ms }
  controls: { driver: redis, host: 127.0.0.1, port: ${port}, connect_timeout: 300ms, ready_timeout: 500ms }`,
    });
    // Start waited for the stores, but boundedly: their timeouts, not forever.
    assert.ok(performance.now() - started < 8000);
  });
  after(async () => {
    await gateway?.stop();
    await redis?.stop();
    await upstream?.close();
  });

  it("is not ready while the blocks were never loaded, and names the limit store's policy", async () => {
    const state = await gateway.readiness();
    assert.equal(state.status, 503, JSON.stringify(state.body));
    const { checks } = state.body;
    assert.equal(checks["store:controls"]?.ok, false);
    assert.match(checks["store:controls"]?.detail ?? "", new RegExp(`redis 127\\.0\\.0\\.1:${port}: blocks not loaded`));
    assert.equal(checks["store:limits"]?.ok, false);
    assert.match(checks["store:limits"]?.detail ?? "", /on_store_error in force: open on 0 route\(s\).*closed on 1 route\(s\) \(503\)/);
    await waitForLog(gateway, /controls not loaded at start/);
  });

  it("becomes ready by itself once Redis answers", async () => {
    redis = await startRedis({ port });
    await waitUntilReady(gateway, 8000);
    const { body } = await gateway.readiness();
    assert.match(body.checks["store:limits"]?.detail ?? "", /reachable/);
    assert.match(body.checks["store:controls"]?.detail ?? "", /reachable/);
  });

  it("stays ready when Redis goes away after the blocks were loaded, and says so", async () => {
    redis?.kill("SIGKILL");
    await waitUntilReady(gateway, 3000, (state) => state.body.checks["store:controls"]?.ok === false && state.body.checks["store:limits"]?.ok === false);
    const { status, body } = await gateway.readiness();
    assert.equal(status, 200, JSON.stringify(body));
    assert.match(body.checks["store:controls"]?.detail ?? "", /disconnected; the last known blocks stay enforced/);
    assert.match(body.checks["store:limits"]?.detail ?? "", /closed on 1 route\(s\) \(503\)/);
  });
});
