/** The gate layer: IP lists, active blocks, unknown routes, sizes and methods, in that order. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CorsPolicy, IpRules, RouteConfig } from "../../src/config/config.ts";
import type { Verdict } from "../../src/engine/index.ts";
import { GateOptionsError, gateLayer, type GateOptions } from "../../src/gate/index.ts";
import { parseCidrSet } from "../../src/net/cidr.ts";
import { createMemoryControls } from "../../src/store/memory/controls.ts";
import { DEFAULT_LIMITS, makeContext, makeFacts, makeRouteConfig } from "../helpers/gate-facts.ts";

const NO_IP: IpRules = { allow: undefined, deny: undefined };
const CORS: CorsPolicy = { origins: ["https://app.example.test"], methods: ["GET"], headers: [], exposeHeaders: [], credentials: false, maxAgeSeconds: undefined };

const users = makeRouteConfig({ id: "users", pattern: "/users/:id", methods: ["GET", "DELETE"] });
const upload = makeRouteConfig({ id: "upload", methods: ["POST"], limits: { maxHeaderBytes: 1000, maxUrlBytes: 100, maxBodyBytes: 10 } });
const partner = makeRouteConfig({ id: "partner", methods: ["POST"], ip: { allow: parseCidrSet(["198.51.100.0/24"]), deny: parseCidrSet(["198.51.100.66"]) } });
const browser = makeRouteConfig({ id: "browser", methods: ["POST"], cors: CORS });

function gate(over: Partial<GateOptions> = {}) {
  return gateLayer({ strictRoutes: true, ip: NO_IP, limits: DEFAULT_LIMITS, routes: [users, upload, partner, browser], ...over });
}

function run(layer: ReturnType<typeof gate>, facts: Parameters<typeof makeFacts>[0], ctx = makeContext()): Verdict | undefined {
  const result = layer.evaluate(makeFacts(facts), ctx);
  assert.equal(result instanceof Promise, false, "the gate answers synchronously");
  return result as Verdict | undefined;
}

function expectDeny(verdict: Verdict | undefined, status: number, code: string): Verdict {
  assert.ok(verdict, `expected ${status} ${code}, got a pass`);
  assert.equal(verdict.action, "deny");
  assert.equal(verdict.status, status);
  assert.equal(verdict.reason.layer, "gate");
  assert.equal(verdict.reason.code, code);
  return verdict;
}

describe("gateLayer", () => {
  it("is a gate-stage layer named gate", () => {
    const layer = gate();
    assert.equal(layer.name, "gate");
    assert.equal(layer.stage, "gate");
  });

  it("lets a well-formed request on a known route through", () => {
    assert.equal(run(gate(), { route: users, method: "GET" }), undefined);
    assert.equal(run(gate(), { route: users, method: "DELETE" }), undefined);
  });

  describe("IP rules", () => {
    const global: IpRules = { allow: parseCidrSet(["203.0.113.0/24", "198.51.100.0/24"]), deny: parseCidrSet(["203.0.113.66"]) };

    it("denies an address on the global deny list (403 ip_denied)", () => {
      expectDeny(run(gate({ ip: global }), { route: users, clientIp: "203.0.113.66" }), 403, "ip_denied");
    });

    it("refuses an address outside the global allow list (403 ip_not_allowed)", () => {
      expectDeny(run(gate({ ip: global }), { route: users, clientIp: "192.0.2.1" }), 403, "ip_not_allowed");
      assert.equal(run(gate({ ip: global }), { route: users, clientIp: "203.0.113.7" }), undefined);
    });

    it("applies the route's lists after the global ones", () => {
      expectDeny(run(gate(), { route: partner, method: "POST", clientIp: "198.51.100.66" }), 403, "ip_denied");
      expectDeny(run(gate(), { route: partner, method: "POST", clientIp: "203.0.113.7" }), 403, "ip_not_allowed");
      assert.equal(run(gate(), { route: partner, method: "POST", clientIp: "198.51.100.7" }), undefined);
      // Global allow passes, route allow refuses.
      const verdict = expectDeny(run(gate({ ip: global }), { route: partner, method: "POST", clientIp: "203.0.113.7" }), 403, "ip_not_allowed");
      assert.equal(verdict.reason.detail, "route allow list");
    });

    it("a deny list wins over an allow list that names the same address", () => {
      expectDeny(run(gate({ ip: { allow: parseCidrSet(["0.0.0.0/0"]), deny: parseCidrSet(["203.0.113.7"]) } }), { route: users }), 403, "ip_denied");
    });

    it("applies global lists to requests that match no route", () => {
      expectDeny(run(gate({ ip: global, strictRoutes: false }), { clientIp: "192.0.2.1" }), 403, "ip_not_allowed");
    });

    it("checks IP lists before anything else (a denied client learns nothing about routes)", () => {
      expectDeny(run(gate({ ip: global }), { clientIp: "203.0.113.66", urlBytes: 1e6 }), 403, "ip_denied");
    });
  });

  describe("active blocks", () => {
    it("denies a blocked client with the block's reason and author in the detail (403 blocked)", async () => {
      const controls = createMemoryControls({ now: () => 1000 });
      await controls.addBlock({ kind: "ip", value: "203.0.113.7", reason: "credential stuffing", author: "alice", source: "operator", ttlMs: 500 });
      const verdict = expectDeny(run(gate(), { route: users }, makeContext({ controls, now: 1200 })), 403, "blocked");
      assert.match(verdict.reason.detail ?? "", /credential stuffing/);
      assert.match(verdict.reason.detail ?? "", /alice/);
      // The context's clock decides: past the TTL the block no longer applies.
      assert.equal(run(gate(), { route: users }, makeContext({ controls, now: 1500 })), undefined);
    });

    it("matches prefix blocks and comes before route and size checks", async () => {
      const controls = createMemoryControls({ now: () => 0 });
      await controls.addBlock({ kind: "prefix", value: "203.0.113.0/24", reason: "scraping", author: "playbook", source: "playbook" });
      expectDeny(run(gate(), { urlBytes: 1e6 }, makeContext({ controls, now: 0 })), 403, "blocked");
    });
  });

  describe("unknown routes", () => {
    it("answers 404 route_unknown when routes are strict", () => {
      expectDeny(run(gate(), { path: "/nowhere" }), 404, "route_unknown");
    });

    it("lets unknown routes through when routes are not strict, with the global limits", () => {
      const layer = gate({ strictRoutes: false, limits: { maxHeaderBytes: 50, maxUrlBytes: 10, maxBodyBytes: 5 } });
      assert.equal(run(layer, { urlBytes: 10, headerBytes: 50, contentLength: 5 }), undefined);
      expectDeny(run(layer, { urlBytes: 11, headerBytes: 10 }), 414, "url_too_long");
      expectDeny(run(layer, { headerBytes: 51 }), 431, "headers_too_large");
      expectDeny(run(layer, { headerBytes: 10, contentLength: 6 }), 413, "body_too_large");
    });
  });

  describe("size limits", () => {
    it("uses the route's limits: 414, then 431, then 413", () => {
      const post = { route: upload, method: "POST" } as const;
      assert.equal(run(gate(), { ...post, urlBytes: 100, headerBytes: 1000, contentLength: 10 }), undefined);
      const tooLong = expectDeny(run(gate(), { ...post, urlBytes: 101, headerBytes: 1001, contentLength: 11 }), 414, "url_too_long");
      assert.equal(tooLong.reason.detail, "101 bytes > 100");
      expectDeny(run(gate(), { ...post, headerBytes: 1001, contentLength: 11 }), 431, "headers_too_large");
      expectDeny(run(gate(), { ...post, contentLength: 11 }), 413, "body_too_large");
    });

    it("does not judge a chunked body by Content-Length (none declared)", () => {
      assert.equal(run(gate(), { route: upload, method: "POST", contentLength: undefined }), undefined);
    });

    it("checks sizes before the method (a huge request to the wrong method is still too large)", () => {
      expectDeny(run(gate(), { route: upload, method: "GET", contentLength: 11 }), 413, "body_too_large");
    });
  });

  describe("methods", () => {
    it("answers 405 with Allow for a method the route does not accept", () => {
      const verdict = expectDeny(run(gate(), { route: users, method: "POST" }), 405, "method_not_allowed");
      assert.deepEqual(verdict.headers, { allow: "GET, HEAD, DELETE" });
    });

    it("accepts HEAD where GET is accepted, and only there", () => {
      assert.equal(run(gate(), { route: users, method: "HEAD" }), undefined);
      expectDeny(run(gate(), { route: upload, method: "HEAD" }), 405, "method_not_allowed");
    });

    it("accepts OPTIONS on a route with CORS and lists it in Allow", () => {
      assert.equal(run(gate(), { route: browser, method: "OPTIONS" }), undefined);
      const verdict = expectDeny(run(gate(), { route: browser, method: "PUT" }), 405, "method_not_allowed");
      assert.equal(verdict.headers?.["allow"], "POST, OPTIONS");
      expectDeny(run(gate(), { route: upload, method: "OPTIONS" }), 405, "method_not_allowed");
    });

    it("prepares the 405 once per route (the same frozen verdict every time)", () => {
      const layer = gate();
      const first = run(layer, { route: users, method: "PUT" });
      assert.equal(run(layer, { route: users, method: "PATCH" }), first);
      assert.ok(Object.isFrozen(first));
    });

    it("treats methods case-sensitively (RFC 9110 §9.1)", () => {
      expectDeny(run(gate(), { route: users, method: "get" }), 405, "method_not_allowed");
    });

    it("plans a route it was not built with from the route's own methods", () => {
      const stranger: RouteConfig = makeRouteConfig({ id: "stranger", methods: ["PUT"] });
      assert.equal(run(gate(), { route: stranger, method: "PUT" }), undefined);
      expectDeny(run(gate(), { route: stranger, method: "GET" }), 405, "method_not_allowed");
    });
  });

  describe("options", () => {
    it("refuses options it cannot work with, naming the field", () => {
      const cases: [Partial<GateOptions>, RegExp][] = [
        [{ strictRoutes: "yes" as unknown as boolean }, /strictRoutes/],
        [{ limits: { ...DEFAULT_LIMITS, maxUrlBytes: -1 } }, /limits\.maxUrlBytes/],
        [{ routes: [users, users] }, /routes\[1\]\.id.*used by two routes/],
        [{ routes: [makeRouteConfig({ id: "x", methods: [] })] }, /routes\[0\]\.methods/],
        [{ routes: [makeRouteConfig({ id: "x", methods: ["get"] })] }, /"get" is not an upper-case/],
        [{ ip: { allow: ["10.0.0.0/8"] as unknown as IpRules["allow"], deny: undefined } }, /ip\.allow/],
      ];
      for (const [over, message] of cases) {
        assert.throws(() => gate(over), (error: unknown) => error instanceof GateOptionsError && message.test(error.message));
      }
    });
  });
});
