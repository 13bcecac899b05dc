/**
 * A Redis the test owns is killed (SIGKILL) under load: the route whose limits are
 * `on_store_error: open` keeps serving on local limits, the `closed` one answers 503, no
 * request waits longer than the Redis timeout + 500 ms, and /readyz names the policy in force.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Pool } from "undici";
import {
  get, poolTo, spawnGateway, startCountingUpstream, waitForLog, waitUntilReady, type Answer, type CountingUpstream, type GatewayProcess,
} from "../helpers/integration-gateways.ts";
import { startRedis, type RedisServer } from "../helpers/limits-redis-server.ts";

const TIMEOUT_MS = 150;
const WORKERS_PER_ROUTE = 8;
const BEFORE_KILL_MS = 700;
const AFTER_KILL_MS = 1500;
/** Requests still in flight when Redis dies may have left before the kill was seen: judged from this long after it. */
const SETTLE_MS = 100;

describe("Redis killed under load", () => {
  let upstream: CountingUpstream;
  let redis: RedisServer;
  let gateway: GatewayProcess;
  let pool: Pool;

  before(async () => {
    upstream = await startCountingUpstream();
    redis = await startRedis();
    gateway = await spawnGateway({
      upstream: upstream.url,
      routes: `
  - path: /open/:id
    methods: [GET]
    upstream: api
    rate_limits:
      - { name: per_ip, limit: 100000, window: 1m, key: [ip], on_store_error: open }
  - path: /closed/:id
    methods: [GET]
    upstream: api
    rate_limits:
      - { name: per_ip, limit: 100000, window: 1m, key: [ip], on_store_error: closed }`,
      stores: `  limits: { driver: redis, host: 127.0.0.1, port: ${redis.port}, timeout: ${TIMEOUT_MS}ms }`,
    });
    await waitUntilReady(gateway);
    pool = poolTo(gateway.url, WORKERS_PER_ROUTE * 2);
  });
  after(async () => {
    await pool?.destroy();
    await gateway?.stop();
    await redis?.stop();
    await upstream?.close();
  });

  it("serves `open` on local limits, answers 503 on `closed`, and never makes a request wait past the timeout + 500 ms", async () => {
    const started = performance.now();
    const stopAt = started + BEFORE_KILL_MS + AFTER_KILL_MS;
    const answers: Record<"open" | "closed", Answer[]> = { open: [], closed: [] };
    const worker = async (route: "open" | "closed"): Promise<void> => {
      for (let i = 0; performance.now() < stopAt; i++) answers[route].push(await get(pool, `/${route}/${i}`, 5000));
    };
    const load = Promise.all(Array.from({ length: WORKERS_PER_ROUTE * 2 }, (_, w) => worker(w % 2 === 0 ? "open" : "closed")));
    await new Promise((done) => setTimeout(done, BEFORE_KILL_MS));
    const killedAt = performance.now();
    redis.kill("SIGKILL");
    await load;

    const before = (list: Answer[]) => list.filter((a) => a.sentAt + a.ms < killedAt);
    const after = (list: Answer[]) => list.filter((a) => a.sentAt > killedAt + SETTLE_MS);
    const statuses = (list: Answer[]) => JSON.stringify([...new Set(list.map((a) => a.status))]);
    assert.ok(before(answers.closed).length > 20 && before(answers.open).length > 20, "load ran before the kill");
    assert.ok(before(answers.closed).every((a) => a.status === 200), `closed before the kill: ${statuses(before(answers.closed))}`);
    assert.ok(after(answers.closed).length > 20 && after(answers.open).length > 20, "load ran after the kill");
    assert.ok(answers.open.every((a) => a.status === 200), `open route: ${statuses(answers.open)}`);
    assert.ok(after(answers.closed).every((a) => a.status === 503), `closed route after the kill: ${statuses(after(answers.closed))}`);

    const slowest = Math.max(...answers.open.map((a) => a.ms), ...answers.closed.map((a) => a.ms));
    assert.ok(slowest <= TIMEOUT_MS + 500, `slowest request took ${slowest.toFixed(1)} ms (bound ${TIMEOUT_MS + 500} ms)`);

    // Readiness: the store is reported unreachable with the policy that answers meanwhile; the instance stays in rotation.
    const state = await gateway.readiness();
    assert.equal(state.status, 200);
    const check = state.body.checks["store:limits"];
    assert.equal(check?.ok, false, JSON.stringify(state.body));
    assert.match(check?.detail ?? "", /open on 1 route\(s\).*closed on 1 route\(s\)/);
    // Every fallback is logged at error level.
    await waitForLog(gateway, /limit store unavailable/);
  });
});
