/** Balancing, passive ejection, panic mode and active health checks of an upstream pool. */
import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  closedPort, send, startFront, trackedServers, upstreamConfig, withTimeout, type TestServer,
} from "../../helpers/upstream-front.ts";

const { upstream, front } = trackedServers();

/** An upstream answering its name, or resetting every connection while `state.failing` is set. */
async function named(name: string): Promise<TestServer & { state: { failing: boolean; hits: number } }> {
  const state = { failing: false, hits: 0 };
  const server = await upstream((req, res) => {
    state.hits += 1;
    if (state.failing) { req.socket.destroy(); return; }
    res.end(name);
  });
  return { ...server, state };
}

async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

test("round robin spreads requests evenly over the targets", async () => {
  const a = await named("a");
  const b = await named("b");
  const proxy = await front(upstreamConfig([a.url, b.url]));
  const bodies: string[] = [];
  for (let i = 0; i < 10; i++) bodies.push((await send(`${proxy.url}/`)).body.toString());
  assert.equal(bodies.filter((body) => body === "a").length, 5);
  assert.equal(bodies.filter((body) => body === "b").length, 5);
});

test("a target on a closed port is ejected after passiveFailures and the other serves the traffic", async () => {
  const dead = `http://127.0.0.1:${await closedPort()}`;
  const good = await named("good");
  const proxy = await front(upstreamConfig([dead, good.url], { passiveFailures: 2 }));
  const statuses: number[] = [];
  for (let i = 0; i < 12; i++) statuses.push((await send(`${proxy.url}/`)).status);
  assert.equal(statuses.filter((status) => status === 502).length, 2, `statuses ${statuses.join(",")}`);
  assert.deepEqual(statuses.slice(4), Array(8).fill(200));
  const health = proxy.pool.health();
  assert.deepEqual(health.map((target) => target.reason), ["ejected", "ok"]);
  assert.equal(health[0]?.healthy, false);
  assert.equal(proxy.pool.isAvailable(), true);
});

test("a target that resets connections is ejected, then returns to rotation after ejectForMs", async () => {
  const flaky = await named("flaky");
  const good = await named("good");
  flaky.state.failing = true;
  const proxy = await front(upstreamConfig([flaky.url, good.url], { passiveFailures: 2, ejectForMs: 400 }));
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) statuses.push((await send(`${proxy.url}/`)).status);
  assert.equal(statuses.filter((status) => status === 502).length, 2);
  assert.equal(flaky.state.hits, 2);
  assert.equal(proxy.results.filter((result) => result.error === "reset").length, 2);
  flaky.state.failing = false;
  await sleep(450);
  const bodies: string[] = [];
  for (let i = 0; i < 4; i++) bodies.push((await send(`${proxy.url}/`)).body.toString());
  assert.deepEqual(bodies.sort(), ["flaky", "flaky", "good", "good"]);
});

test("panic mode: when every target is out, the one known to exist still gets the traffic", async () => {
  const only = await named("only");
  const proxy = await front(upstreamConfig([only.url], { passiveFailures: 1, ejectForMs: 30_000 }));
  assert.equal((await send(`${proxy.url}/`)).status, 200);
  only.state.failing = true;
  assert.equal((await send(`${proxy.url}/`)).status, 502);
  assert.equal(proxy.pool.isAvailable(), false);
  only.state.failing = false;
  const got = await send(`${proxy.url}/`);
  assert.equal(got.status, 200);
  assert.equal(got.body.toString(), "only");
});

test("a pool that never reached any target answers 502 at once once all are ejected", async () => {
  const proxy = await front(upstreamConfig([`http://127.0.0.1:${await closedPort()}`], { passiveFailures: 1 }));
  assert.equal((await send(`${proxy.url}/`)).status, 502);
  assert.equal((await proxy.result(0)).error, "connect");
  const started = performance.now();
  const got = await send(`${proxy.url}/`);
  assert.equal(got.status, 502);
  assert.equal(got.headers["content-type"], "application/problem+json");
  assert.ok(performance.now() - started < 200);
  const result = await proxy.result(1);
  assert.equal(result.error, "no_target");
  assert.equal(result.target, undefined);
});

test("least_in_flight sends new requests to the idle target, not the busy one", async () => {
  const held: ServerResponse[] = [];
  const counts = new Map<string, number>();
  const makeTarget = (name: string) => upstream((_req, res) => {
    counts.set(name, (counts.get(name) ?? 0) + 1);
    // The first request of each target is held open: that target stays busy.
    if (counts.get(name) === 1) held.push(res);
    else res.end(name);
  });
  const a = await makeTarget("a");
  const b = await makeTarget("b");
  const proxy = await front(upstreamConfig([a.url, b.url], { balance: "least_in_flight" }));
  const busy = send(`${proxy.url}/busy`);
  await until(() => held.length === 1, 5_000, "the busy request to arrive");
  const busyName = counts.has("a") ? "a" : "b";
  const idleName = busyName === "a" ? "b" : "a";
  // The next request must go to the idle target (round robin would too); its first request is
  // held as well, so release it at once to make that target idle again.
  const first = send(`${proxy.url}/x`);
  await until(() => held.length === 2, 5_000, "the second request to arrive");
  assert.equal(counts.get(idleName), 1, "the second request went to the idle target");
  held[1]?.end(idleName);
  await first;
  const bodies: string[] = [];
  for (let i = 0; i < 8; i++) bodies.push((await send(`${proxy.url}/x`)).body.toString());
  assert.deepEqual(bodies, Array(8).fill(idleName));
  assert.deepEqual(proxy.pool.health().map((target) => target.inFlight).sort(), [0, 1]);
  held[0]?.end(busyName);
  assert.equal((await busy).body.toString(), busyName);
});

test("active health checks take a target out after unhealthy_after failures and back after healthy_after", async () => {
  let healthy = true;
  let checks = 0;
  const checked = await upstream((req, res) => {
    if (req.url === "/base/health") {
      checks += 1;
      res.statusCode = healthy ? 200 : 503;
      res.end();
      return;
    }
    res.end("checked");
  });
  const other = await named("other");
  const proxy = await front(upstreamConfig([`${checked.url}/base`, other.url], {
    healthCheck: { path: "/health", intervalMs: 50, timeoutMs: 200, healthyAfter: 2, unhealthyAfter: 2 },
  }));
  await until(() => checks >= 2, 2_000, "the first health checks");
  assert.equal(proxy.pool.health()[0]?.reason, "ok");
  healthy = false;
  await until(() => proxy.pool.health()[0]?.reason === "health_check", 2_000, "the target to be marked down");
  for (let i = 0; i < 4; i++) assert.equal((await send(`${proxy.url}/`)).body.toString(), "other");
  healthy = true;
  await until(() => proxy.pool.health()[0]?.reason === "ok", 2_000, "the target to be marked up");
  const bodies = new Set<string>();
  for (let i = 0; i < 4; i++) bodies.add((await send(`${proxy.url}/`)).body.toString());
  assert.deepEqual([...bodies].sort(), ["checked", "other"]);
});

test("a health check that times out marks the target down; close() stops the checks", async () => {
  let checks = 0;
  const hanging = await upstream((req) => {
    if (req.url === "/health") checks += 1; // never answered
  });
  const proxy = await startFront(upstreamConfig([hanging.url], {
    healthCheck: { path: "/health", intervalMs: 30, timeoutMs: 100, healthyAfter: 1, unhealthyAfter: 2 },
  }));
  await until(() => proxy.pool.health()[0]?.reason === "health_check", 2_000, "the target to be marked down");
  assert.equal(proxy.pool.isAvailable(), false);
  await withTimeout(proxy.close(), 2_000, "the pool to close");
  const seen = checks;
  await sleep(200);
  assert.equal(checks, seen, "no health check after close()");
});
