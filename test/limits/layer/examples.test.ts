/** examples/{login,otp,catalog,carts,plans}.yaml load with loadConfigFile and limit as their comments say. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compose } from "../../../src/compose/pipeline.ts";
import { createPipeline, createRouter, type Layer } from "../../../src/engine/index.ts";
import { rateLimitLayer } from "../../../src/limits/layer/index.ts";
import { createMemoryControls } from "../../../src/store/memory/controls.ts";
import { createMemoryLimitStore } from "../../../src/store/memory/limit-store.ts";
import { decideSync, exampleConfig, exchange, outcome, request } from "../../helpers/limits-layer-requests.ts";

const START = 1_700_000_040_000;

function composeExample(name: string, sleep?: (ms: number) => Promise<void>) {
  const clock = { now: START };
  const composed = compose(exampleConfig(name), {
    controls: createMemoryControls({ now: () => clock.now }), now: () => clock.now, ...(sleep === undefined ? {} : { sleep }),
  });
  return { clock, composed };
}

describe("rate-limit examples", () => {
  it("login.yaml: 5 failures per username then 429, reset on success; the office bypasses per-address limits only", async () => {
    const { composed } = composeExample("login.yaml");
    assert.equal(composed.routes.get("auth_login")?.bodyViewBytes, 16 * 1024, "a body view was turned on for body.username");
    const login = (username: string, status: number, ip = "192.0.2.10") => exchange(composed, { method: "POST", path: "/auth/login", ip, json: { username, password: "x" } }, status);
    for (let i = 0; i < 4; i++) assert.equal((await login("victim@example.com", 401, `192.0.2.${20 + i}`)).action, "allow");
    assert.equal((await login("victim@example.com", 200)).action, "allow", "the owner logs in: the failures are forgotten");
    for (let i = 0; i < 5; i++) assert.equal((await login("Victim@Example.com", 401, `192.0.2.${30 + i}`)).action, "allow");
    assert.equal((await login("victim@example.com", 401, "192.0.2.99")).status, 429, "the 6th failure is refused from any address");
    // 21 logins from one office address: per_ip (20) is bypassed; a stranger is stopped at 20.
    for (let i = 0; i < 21; i++) {
      const office = await login(`user${i}`, 200, "198.51.100.7");
      assert.equal(office.action, "allow");
      assert.equal(office.reasons[0]?.code, "allow_listed");
    }
    for (let i = 0; i < 20; i++) assert.equal((await login(`u${i}`, 200, "203.0.113.50")).action, "allow");
    assert.equal((await login("u20", 200, "203.0.113.50")).status, 429);
  });

  it("otp.yaml: 3 codes per phone however it is written, then the per-address limit tarpits", async () => {
    const { composed } = composeExample("otp.yaml");
    const otp = (phone: string, ip = "192.0.2.1") => exchange(composed, { method: "POST", path: "/auth/otp", ip, json: { phone } });
    for (const phone of ["+1 (555) 010-0100", "1-555-010-0100", "15550100100"]) assert.equal((await otp(phone, "192.0.2.200")).action, "allow");
    const fourth = await otp("+1 555 010 0100", "192.0.2.201");
    assert.deepEqual([fourth.status, fourth.reasons[0]?.detail?.startsWith("per_phone (15550100100)")], [429, true]);
    for (let i = 0; i < 10; i++) assert.equal((await otp(`+33 6 00 00 00 ${String(i).padStart(2, "0")}`)).action, "allow");
    const eleventh = await otp("+33 6 00 00 00 99");
    assert.deepEqual([eleventh.action, eleventh.status, eleventh.holdMs], ["tarpit", 429, 3000]);
  });

  it("catalog.yaml: a page costs its size, bursts wait instead of failing, bytes are capped per day", async () => {
    const slept: number[] = [];
    const state = composeExample("catalog.yaml", async (ms) => { slept.push(ms); state.clock.now += ms; });
    const { clock, composed } = state;
    const page = (query: string, bytes = 0) => exchange(composed, { path: "/products", query }, 200, bytes);
    for (let i = 0; i < 10; i++) {
      clock.now += 1000; // the token bucket refills between pages
      assert.equal((await page("page_size=100")).action, "allow");
    }
    clock.now += 1000;
    const over = await page("page_size=1");
    assert.deepEqual([over.status, over.reasons[0]?.detail?.startsWith("items_per_ip")], [429, true]);
    // Another client: 10 at once pass, the 11th waits for a token, then passes.
    const fast = () => composed.pipeline.evaluate(request(composed.router, { path: "/products", ip: "192.0.2.77", query: "page_size=1" }));
    for (let i = 0; i < 10; i++) assert.equal((fast() as { decision?: { action: string } }).decision?.action, "allow");
    const waited = await fast();
    assert.equal(waited.decision?.action, "allow");
    assert.deepEqual(slept, [200]);
    // Bytes: one huge answer exhausts the day's 50 MB; the next request is refused.
    const bytes = (n: number) => exchange(composed, { path: "/products", ip: "192.0.2.88" }, 200, n);
    assert.equal((await bytes(50_000_000)).action, "allow");
    const refused = await bytes(0);
    assert.deepEqual([refused.status, refused.reasons[0]?.detail?.startsWith("bytes_per_day")], [429, true]);
    assert.match(refused.headers["ratelimit-policy"] ?? "", /"bytes_per_day";q=50000000;qu="content-bytes";w=86400/);
  });

  it("carts.yaml: holds raised by adding, lowered by removing and checking out; checkouts in flight capped", async () => {
    const { composed } = composeExample("carts.yaml");
    const cookie = { cookie: "session=s-1" };
    const add = (quantity: number, status = 201) => exchange(composed, { method: "POST", path: "/cart/items", query: `quantity=${quantity}`, headers: cookie }, status);
    assert.equal((await add(4)).action, "allow");
    assert.equal((await add(4)).headers["ratelimit"], '"held_items";r=2;t=1800');
    assert.equal((await add(4)).status, 429, "12 held would pass 10");
    assert.equal((await add(2, 409)).action, "allow", "a failed add is given back");
    assert.equal((await exchange(composed, { method: "DELETE", path: "/cart/items/7", headers: cookie }, 204)).action, "allow");
    assert.equal((await add(3)).headers["ratelimit"], '"held_items";r=0;t=1800', "8 - 1 + 3 = 10 held");
    assert.equal((await add(1)).status, 429);
    // Two checkouts in flight at most; checking out gives every held item back.
    const checkout = () => {
      const facts = request(composed.router, { method: "POST", path: "/checkout", headers: cookie });
      return { facts, ...decideSync(composed.pipeline, facts) };
    };
    const first = checkout();
    const second = checkout();
    const third = checkout();
    assert.deepEqual([first.decision.action, second.decision.action, third.decision.status], ["allow", "allow", 403]);
    composed.pipeline.observe(first.facts, first.ctx, outcome(200));
    composed.pipeline.observe(second.facts, second.ctx, outcome(200));
    await composed.rateLimits?.flush();
    assert.equal(checkout().decision.action, "allow", "leases released");
    assert.equal((await add(10)).action, "allow", "the cart was emptied");
  });

  it("plans.yaml: limits by plan, shared across the routes of one group; a partner key bypasses all", () => {
    const config = exampleConfig("plans.yaml");
    // A stand-in for the auth layers to come: identity from test headers.
    const identity: Layer = {
      name: "identity", stage: "identity",
      evaluate(facts, ctx) {
        const keyId = facts.headers["x-key"] as string | undefined;
        if (keyId !== undefined) ctx.identity = { method: "api_key", keyId, scopes: [], plan: facts.headers["x-plan"] as string };
        return undefined;
      },
    };
    const limits = rateLimitLayer(config.rateLimits!, { store: createMemoryLimitStore(), fallback: createMemoryLimitStore(), now: () => START });
    const pipeline = createPipeline({ layers: [identity, limits], controls: createMemoryControls(), mode: "enforce", now: () => START });
    const router = createRouter(config.routes);
    const call = (path: string, key: string, plan: string) => decideSync(pipeline, request(router, { path, headers: { "x-key": key, "x-plan": plan } })).decision;
    const free = ["/v1/search", "/v1/reports", "/v1/search", "/v1/reports", "/v1/search"].map((path) => call(path, "k_free", "free").action);
    assert.deepEqual(free, ["allow", "allow", "allow", "allow", "allow"]);
    const sixth = call("/v1/reports", "k_free", "free");
    assert.equal(sixth.status, 429, "the burst of 5 is shared by both routes of group api");
    assert.match(sixth.headers["ratelimit-policy"] ?? "", /^"free_daily";q=1000;w=86400, "free_rate";q=5;w=5$/);
    for (let i = 0; i < 50; i++) assert.equal(call("/v1/search", "k_pro", "pro").action, "allow", `pro call ${i + 1}`);
    assert.equal(call("/v1/search", "k_pro", "pro").status, 429);
    for (let i = 0; i < 100; i++) assert.equal(call("/v1/search", "k_partner", "free").reasons[0]?.code, "allow_listed");
  });
});
