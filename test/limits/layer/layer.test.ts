/** The rate-limit layer through compose and the pipeline, on the memory store with an injected clock. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compose, type ComposeDeps } from "../../../src/compose/pipeline.ts";
import { createPipeline, createRouter, type Decision, type Layer, type LayerContext } from "../../../src/engine/index.ts";
import { rateLimitLayer } from "../../../src/limits/layer/index.ts";
import { storeUnavailable, type LimitStore } from "../../../src/store/limits.ts";
import { createMemoryControls } from "../../../src/store/memory/controls.ts";
import { createMemoryLimitStore } from "../../../src/store/memory/limit-store.ts";
import { configOf, decideSync, exchange, outcome, request } from "../../helpers/limits-layer-requests.ts";

const START = 1_700_000_040_000; // an exact minute: fixed windows start here

function setup(yaml: string, deps: Partial<ComposeDeps> = {}) {
  const clock = { now: START };
  const composed = compose(configOf(yaml), { controls: createMemoryControls({ now: () => clock.now }), now: () => clock.now, ...deps });
  return { clock, composed };
}

const login = (limits: string, extra = "") => `${extra}
routes:
  - path: /login
    methods: [POST]
    upstream: api
    rate_limits:
${limits}`;

describe("rate-limit layer", () => {
  it("5/min per username: the 6th is 429 with Retry-After and RateLimit headers, allowed answers carry them too", async () => {
    const { clock, composed } = setup(login("      - { name: per_user, algorithm: fixed_window, limit: 5, window: 1m, key: [body.username] }"));
    const spellings = ["alice@gmail.com", "A.lice@gmail.com", "ALICE+x@googlemail.com", "alice@gmail.com", " alice@GMAIL.com"];
    for (const [i, username] of spellings.entries()) {
      const decision = await exchange(composed, { method: "POST", path: "/login", json: { username } });
      assert.equal(decision.action, "allow", `attempt ${i + 1}`);
      assert.equal(decision.headers["ratelimit-policy"], '"per_user";q=5;w=60');
      assert.equal(decision.headers["ratelimit"], `"per_user";r=${4 - i};t=60`);
    }
    clock.now += 15_000;
    const sixth = await exchange(composed, { method: "POST", path: "/login", json: { username: "alice@gmail.com" } });
    assert.deepEqual([sixth.action, sixth.status], ["throttle", 429]);
    assert.equal(sixth.headers["retry-after"], "45");
    assert.equal(sixth.headers["ratelimit"], '"per_user";r=0;t=45');
    assert.equal(sixth.headers["ratelimit-policy"], '"per_user";q=5;w=60');
    assert.deepEqual(sixth.reasons.map((r) => [r.layer, r.code]), [["rate_limit", "rate_limited"]]);
    assert.match(sixth.reasons[0]?.detail ?? "", /^per_user \(alice@gmail\.com\)/);
    // Another user, and a request without the field (its own <missing> bucket), are not affected.
    assert.equal((await exchange(composed, { method: "POST", path: "/login", json: { username: "bob@example.com" } })).action, "allow");
    assert.equal((await exchange(composed, { method: "POST", path: "/login", json: {} })).action, "allow");
    clock.now += 45_000;
    assert.equal((await exchange(composed, { method: "POST", path: "/login", json: { username: "alice@gmail.com" } })).action, "allow");
  });

  it("headers: false keeps the limits to itself: no RateLimit fields, a refusal still says Retry-After", async () => {
    const { composed } = setup(login("      - { name: per_user, algorithm: fixed_window, limit: 1, window: 1m, key: [body.username] }", "rate_limits: { headers: false }"));
    const allowed = await exchange(composed, { method: "POST", path: "/login", json: { username: "alice" } });
    assert.equal(allowed.action, "allow");
    assert.deepEqual(allowed.headers, {});
    const refused = await exchange(composed, { method: "POST", path: "/login", json: { username: "alice" } });
    assert.equal(refused.status, 429);
    assert.deepEqual(refused.headers, { "retry-after": "60" });
  });

  it("a request denied by the 3rd limit does not spend the first two", async () => {
    const { composed } = setup(login(`
      - { name: first, algorithm: fixed_window, limit: 5, window: 1m, key: [ip] }
      - { name: second, algorithm: fixed_window, limit: 5, window: 1m, key: [ip_prefix] }
      - { name: third, algorithm: fixed_window, limit: 1, window: 1m, key: [body.username] }`));
    const as = (username: string) => exchange(composed, { method: "POST", path: "/login", json: { username } });
    assert.equal((await as("alice")).action, "allow");
    for (let i = 0; i < 4; i++) {
      const denied = await as("alice");
      assert.equal(denied.status, 429);
      assert.equal(denied.headers["ratelimit"], '"first";r=4;t=60, "second";r=4;t=60, "third";r=0;t=60');
    }
    const bob = await as("bob");
    assert.equal(bob.action, "allow");
    assert.equal(bob.headers["ratelimit"], '"first";r=3;t=60, "second";r=3;t=60, "third";r=0;t=60');
  });

  it("failure-only login counting denies AT the limit and resets the key on success", async () => {
    const { composed } = setup(login(`
      - { name: per_user, algorithm: fixed_window, limit: 3, window: 1m, key: [body.username], count: failures, failure_status: [401], reset_on_success: true }`));
    const attempt = (status: number) => exchange(composed, { method: "POST", path: "/login", json: { username: "carol" } }, status);
    // Two failures, then a success: the key is forgotten.
    assert.equal((await attempt(401)).action, "allow");
    assert.equal((await attempt(401)).action, "allow");
    const success = await attempt(200);
    assert.equal(success.headers["ratelimit"], '"per_user";r=1;t=60', "checked, not charged: two failures counted so far");
    // Three failures are allowed; the 4th attempt is refused before it reaches the upstream.
    for (let i = 0; i < 3; i++) assert.equal((await attempt(401)).action, "allow", `failure ${i + 1} after the reset`);
    const fourth = await attempt(401);
    assert.deepEqual([fourth.action, fourth.status], ["throttle", 429]);
    // Successful answers and other statuses do not count.
    const other = setup(login("      - { name: per_user, limit: 1, window: 1m, key: [body.username], count: failures }"));
    for (let i = 0; i < 3; i++) assert.equal((await exchange(other.composed, { method: "POST", path: "/login", json: { username: "dan" } }, 500)).action, "allow");
  });

  it("an allow-listed address bypasses the limits it names, visibly, and no later layer overrides it", async () => {
    const yaml = login(`
      - { name: per_ip, limit: 1, window: 1m, key: [ip] }
      - { name: per_user, limit: 2, window: 1m, key: [body.username] }`, `
rate_limits:
  allow:
    - { name: office, cidrs: [198.51.100.0/24] }
    - { name: vpn, cidrs: ["2001:db8::/32"], limits: [per_ip] }`);
    const { composed } = setup(yaml);
    for (let i = 0; i < 5; i++) {
      const decision = await exchange(composed, { method: "POST", path: "/login", ip: "198.51.100.20", json: { username: "erin" } });
      assert.equal(decision.action, "allow");
      assert.deepEqual(decision.reasons, [{ layer: "rate_limit", code: "allow_listed", detail: "office: bypassed all limits" }]);
      assert.equal(decision.headers["ratelimit"], undefined, "no limit applied, none advertised");
    }
    // Named limits only: per_user still applies to the VPN.
    const vpn = () => exchange(composed, { method: "POST", path: "/login", ip: "2001:db8::5", json: { username: "frank" } });
    const first = await vpn();
    assert.deepEqual(first.reasons, [{ layer: "rate_limit", code: "allow_listed", detail: "vpn: bypassed per_ip" }]);
    assert.equal(first.headers["ratelimit"], '"per_user";r=1;t=120');
    assert.equal((await vpn()).action, "allow");
    assert.equal((await vpn()).status, 429);
    // Anyone else meets per_ip.
    assert.equal((await exchange(composed, { method: "POST", path: "/login", ip: "192.0.2.1", json: { username: "x" } })).action, "allow");
    assert.equal((await exchange(composed, { method: "POST", path: "/login", ip: "192.0.2.1", json: { username: "y" } })).status, 429);

    // A later limit-stage layer that denies everything does not override the allow-list.
    const config = configOf(yaml);
    const limits = rateLimitLayer(config.rateLimits!, { store: createMemoryLimitStore(), fallback: createMemoryLimitStore(), now: () => START });
    const denyAll: Layer = { name: "deny_all", stage: "limit", evaluate: () => ({ action: "deny", status: 403, reason: { layer: "deny_all", code: "no" } }) };
    const pipeline = createPipeline({ layers: [limits, denyAll], controls: createMemoryControls(), mode: "enforce", now: () => START });
    const router = createRouter(config.routes);
    assert.equal(decideSync(pipeline, request(router, { method: "POST", path: "/login", ip: "198.51.100.9", json: {} })).decision.action, "allow");
    assert.equal(decideSync(pipeline, request(router, { method: "POST", path: "/login", ip: "192.0.2.9", json: {} })).decision.status, 403);
  });

  it("scales each limit by the risk tier's factor", () => {
    const config = configOf(login("      - { name: per_ip, algorithm: fixed_window, limit: 4, window: 1m, key: [ip] }", `
rate_limits: { tiers: { trusted: 2, suspicious: 0.5 } }`));
    // A stand-in for the signal layers that do not exist yet: the score comes from a header.
    const scorer: Layer = {
      name: "score", stage: "signal",
      evaluate(facts, ctx) { ctx.signals.push({ layer: "score", name: "test", score: Number(facts.headers["x-score"] ?? 0) }); return undefined; },
    };
    const limits = rateLimitLayer(config.rateLimits!, { store: createMemoryLimitStore(), fallback: createMemoryLimitStore(), now: () => START });
    const pipeline = createPipeline({ layers: [limits, scorer], controls: createMemoryControls(), mode: "enforce", now: () => START, risk: config.risk });
    const router = createRouter(config.routes);
    const allowedFor = (score: number, ip: string) => {
      let allowed = 0;
      let policy = "";
      for (let i = 0; i < 20; i++) {
        const { decision } = decideSync(pipeline, request(router, { method: "POST", path: "/login", ip, headers: { "x-score": String(score) } }));
        if (decision.action === "allow") allowed++;
        policy = decision.headers["ratelimit-policy"] ?? "";
      }
      return [allowed, policy];
    };
    assert.deepEqual(allowedFor(-10, "192.0.2.1"), [8, '"per_ip";q=8;w=60'], "trusted");
    assert.deepEqual(allowedFor(0, "192.0.2.2"), [4, '"per_ip";q=4;w=60'], "normal");
    assert.deepEqual(allowedFor(60, "192.0.2.3"), [2, '"per_ip";q=2;w=60'], "suspicious");
  });

  it("on_exceed delay waits until the limit has room, then admits; past max_delay it throttles", async () => {
    const slept: number[] = [];
    const clock = { now: START };
    const sleep = async (ms: number) => { slept.push(ms); clock.now += ms; };
    const config = configOf(login(`
      - { name: smooth, algorithm: token_bucket, burst: 2, rate: 1, window: 1s, key: [ip], on_exceed: delay, max_delay: 1500ms }`));
    const composed = compose(config, { controls: createMemoryControls(), now: () => clock.now, sleep });
    const send = () => composed.pipeline.evaluate(request(composed.router, { method: "POST", path: "/login" }));
    for (let i = 0; i < 2; i++) assert.ok(!((send()) instanceof Promise), "within the burst: no wait, no promise");
    const third = send();
    assert.ok(third instanceof Promise, "a delayed request is answered later");
    assert.equal((await third).decision?.action, "allow");
    assert.deepEqual(slept, [1000]);

    const strict = compose(configOf(login("      - { name: smooth, algorithm: token_bucket, burst: 1, rate: 1, window: 2s, key: [ip], on_exceed: delay, max_delay: 500ms }")),
      { controls: createMemoryControls(), now: () => clock.now, sleep });
    slept.length = 0;
    const path = { method: "POST", path: "/login" };
    assert.equal(decideSync(strict.pipeline, request(strict.router, path)).decision.action, "allow");
    const refused = decideSync(strict.pipeline, request(strict.router, path)).decision;
    assert.deepEqual([refused.action, refused.headers["retry-after"]], ["throttle", "2"]);
    assert.deepEqual(slept, [], "a wait past max_delay is not attempted");

    // Dry-run: a refusal is only logged, so nothing waits either.
    const dry = compose(configOf(`mode: dry-run\n${login("      - { name: smooth, algorithm: token_bucket, burst: 1, rate: 1, window: 1s, key: [ip], on_exceed: delay, max_delay: 5s }")}`),
      { controls: createMemoryControls(), now: () => clock.now, sleep });
    assert.equal(decideSync(dry.pipeline, request(dry.router, path)).decision.action, "allow");
    const logged = decideSync(dry.pipeline, request(dry.router, path)).decision;
    assert.deepEqual([logged.action, logged.wouldHave?.action], ["allow", "throttle"]);
    assert.deepEqual(slept, []);
  });

  it("on_store_error open falls back to local memory limits and reports it; closed answers 503", async () => {
    const down: LimitStore = {
      admit: () => storeUnavailable("redis admit timed out after 100 ms"),
      settle: () => storeUnavailable("redis settle timed out after 100 ms"),
      reset: () => undefined,
      close: async () => {},
    };
    const open = setup(login("      - { name: per_ip, algorithm: fixed_window, limit: 2, window: 1m, key: [ip] }"), { limitStore: down });
    const results: Decision[] = [];
    for (let i = 0; i < 3; i++) results.push(await exchange(open.composed, { method: "POST", path: "/login" }));
    assert.deepEqual(results.map((d) => d.action), ["allow", "allow", "throttle"], "the local fallback still enforces the limit");
    for (const decision of results) {
      assert.deepEqual(decision.errors, [{
        layer: "rate_limit",
        message: "limit store unavailable (redis admit timed out after 100 ms): on_store_error open, admitted on local memory limits",
        policy: "open",
      }], "every fallback is reported, each time");
    }
    assert.equal(results[0]?.reasons[0]?.code, "layer_error");

    const closed = setup(login("      - { name: per_ip, limit: 2, window: 1m, key: [ip], on_store_error: closed }"), { limitStore: down });
    const refused = await exchange(closed.composed, { method: "POST", path: "/login" });
    assert.deepEqual([refused.action, refused.status, refused.reasons[0]?.code], ["deny", 503, "store_unavailable"]);
    assert.equal(refused.errors[0]?.policy, "closed");
  });

  it("settles post-response accounting once per tick and group, off the request path", async () => {
    const memory = createMemoryLimitStore();
    let settles = 0;
    const counting: LimitStore = { ...memory, admit: (g, i, n) => memory.admit(g, i, n), settle: (g, o, n) => { settles++; return memory.settle(g, o, n); }, reset: (g, k) => memory.reset(g, k), close: () => memory.close() };
    const { composed } = setup(login("      - { name: fails, limit: 10, window: 1m, key: [ip], count: failures }"), { limitStore: counting });
    const done: [ReturnType<typeof request>, LayerContext][] = [];
    for (let i = 0; i < 3; i++) {
      const facts = request(composed.router, { method: "POST", path: "/login" });
      done.push([facts, decideSync(composed.pipeline, facts).ctx]);
    }
    for (const [facts, ctx] of done) composed.pipeline.observe(facts, ctx, outcome(401));
    assert.equal(settles, 0, "nothing is written while the responses end");
    await composed.rateLimits?.flush();
    assert.equal(settles, 1, "three responses, one settle");
    const next = await exchange(composed, { method: "POST", path: "/login" }, 200);
    assert.equal(next.headers["ratelimit"], '"fails";r=7;t=120');
  });
});
