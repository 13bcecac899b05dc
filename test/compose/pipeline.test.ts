/** compose(): a Config becomes a router, a pipeline with the gate, and routes by id. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compose } from "../../src/compose/pipeline.ts";
import { RouteConflictError, type Decision, type LayerContext, type RequestFacts } from "../../src/engine/index.ts";
import { parseCidrSet } from "../../src/net/cidr.ts";
import { createMemoryControls } from "../../src/store/memory/controls.ts";
import { makeConfig, makeFacts, makeRouteConfig } from "../helpers/gate-facts.ts";

const routes = [
  makeRouteConfig({ id: "users", pattern: "/users/:id", methods: ["GET"] }),
  makeRouteConfig({ id: "login", pattern: "/auth/login", methods: ["POST"] }),
];

function decide(composed: ReturnType<typeof compose>, over: Partial<RequestFacts>): Decision {
  const path = over.path ?? "/";
  const facts = makeFacts({ ...over, path, route: composed.router.match(path) });
  const ctx = composed.pipeline.evaluate(facts);
  assert.equal(ctx instanceof Promise, false, "the gate-only pipeline answers synchronously");
  return (ctx as LayerContext).decision as Decision;
}

describe("compose", () => {
  it("routes paths, keeps routes by id, and passes allowed requests", () => {
    const composed = compose(makeConfig({ routes }), { controls: createMemoryControls() });
    assert.equal(composed.router.match("/users/42")?.params["id"], "42");
    assert.deepEqual([...composed.routes.keys()], ["users", "login"]);
    assert.equal(composed.routes.get("login")?.pattern, "/auth/login");
    assert.equal(decide(composed, { path: "/users/42" }).action, "allow");
  });

  it("puts the gate in the pipeline: 405 with Allow, 404 for unknown routes, global IP lists", () => {
    const config = makeConfig({ routes, ip: { allow: undefined, deny: parseCidrSet(["192.0.2.0/24"]) } });
    const composed = compose(config, { controls: createMemoryControls() });
    const wrongMethod = decide(composed, { path: "/auth/login", method: "GET" });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers["allow"], "POST");
    assert.equal(decide(composed, { path: "/nowhere" }).status, 404);
    assert.equal(decide(composed, { path: "/users/1", clientIp: "192.0.2.9" }).reasons[0]?.code, "ip_denied");
  });

  it("reads blocks through the given Controls with the given clock", async () => {
    let time = 10_000;
    const controls = createMemoryControls({ now: () => time });
    const composed = compose(makeConfig({ routes }), { controls, now: () => time });
    await controls.addBlock({ kind: "ip", value: "203.0.113.7", reason: "abuse", author: "ops", source: "operator", ttlMs: 1000 });
    assert.equal(decide(composed, { path: "/users/1" }).reasons[0]?.code, "blocked");
    time += 1000;
    assert.equal(decide(composed, { path: "/users/1" }).action, "allow");
  });

  it("applies the config's mode: dry-run lets a deny through and says what would have happened", () => {
    const composed = compose(makeConfig({ routes, mode: "dry-run" }), { controls: createMemoryControls() });
    const decision = decide(composed, { path: "/nowhere" });
    assert.equal(decision.action, "allow");
    assert.deepEqual(decision.wouldHave, { action: "deny", status: 404 });
    assert.equal(composed.pipeline.mode, "dry-run");
  });

  it("throws for routes that cannot be composed", () => {
    const clash = [routes[0], makeRouteConfig({ id: "other", pattern: "/users/:name" })].filter((r) => r !== undefined);
    assert.throws(() => compose(makeConfig({ routes: clash }), { controls: createMemoryControls() }), RouteConflictError);
  });
});
