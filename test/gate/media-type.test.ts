/** The gate's body media-type check: 415 for a body of a type the route does not declare. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { IpRules } from "../../src/config/config.ts";
import type { Verdict } from "../../src/engine/index.ts";
import { GateOptionsError, gateLayer } from "../../src/gate/index.ts";
import { DEFAULT_LIMITS, makeContext, makeFacts, makeRouteConfig } from "../helpers/gate-facts.ts";

const NO_IP: IpRules = { allow: undefined, deny: undefined };
const JSON_ONLY = new Set(["application/json"]);

const api = makeRouteConfig({ id: "api", methods: ["GET", "POST", "PUT", "PATCH"], contentTypes: JSON_ONLY });
const uploads = makeRouteConfig({
  id: "uploads", methods: ["POST"], contentTypes: new Set(["multipart/form-data", "application/octet-stream"]),
  limits: { ...DEFAULT_LIMITS, maxBodyBytes: 100 },
});
const anything = makeRouteConfig({ id: "anything", methods: ["POST"] });

const gate = () => gateLayer({ strictRoutes: true, ip: NO_IP, limits: DEFAULT_LIMITS, routes: [api, uploads, anything] });

/** Runs the gate on facts built from `facts` (a GET from 203.0.113.7 unless overridden). */
function run(facts: Parameters<typeof makeFacts>[0], layer = gate()): Verdict | undefined {
  const result = layer.evaluate(makeFacts(facts), makeContext());
  assert.equal(result instanceof Promise, false, "the gate answers synchronously");
  return result as Verdict | undefined;
}

function expect415(verdict: Verdict | undefined): Verdict {
  assert.ok(verdict, "expected 415, got a pass");
  assert.equal(verdict.action, "deny");
  assert.equal(verdict.status, 415);
  assert.deepEqual([verdict.reason.layer, verdict.reason.code], ["gate", "unsupported_media_type"]);
  return verdict;
}

describe("gate: body media types", () => {
  it("answers 415 to a text/plain body on a JSON-only route, with Accept-Post listing what is accepted", () => {
    const verdict = expect415(run({ route: api, method: "POST", contentLength: 5, headers: { "content-type": "text/plain" } }));
    assert.deepEqual(verdict.headers, { "accept-post": "application/json" });
    assert.equal(verdict.reason.detail, "text/plain (accepted: application/json)");
  });

  it("names the accepted types in Accept-Patch for PATCH and in no header for other methods", () => {
    const patch = expect415(run({ route: api, method: "PATCH", contentLength: 5, headers: { "content-type": "text/plain" } }));
    assert.deepEqual(patch.headers, { "accept-patch": "application/json" });
    const put = expect415(run({ route: api, method: "PUT", contentLength: 5, headers: { "content-type": "text/plain" } }));
    assert.equal(put.headers, undefined);
    const upload = expect415(run({ route: uploads, method: "POST", contentLength: 5, headers: { "content-type": "application/json" } }));
    assert.deepEqual(upload.headers, { "accept-post": "multipart/form-data, application/octet-stream" });
  });

  it("compares the media type without parameters and without regard to case", () => {
    for (const type of ["application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8", " application/json ; q=1"]) {
      assert.equal(run({ route: api, method: "POST", contentLength: 2, headers: { "content-type": type } }), undefined, type);
    }
    const boundary = "multipart/form-data; boundary=----x";
    assert.equal(run({ route: uploads, method: "POST", contentLength: 2, headers: { "content-type": boundary } }), undefined);
  });

  it("refuses a body without a Content-Type, or with an empty one", () => {
    assert.equal(expect415(run({ route: api, method: "POST", contentLength: 2, headers: {} })).reason.detail, "no Content-Type (accepted: application/json)");
    assert.equal(expect415(run({ route: api, method: "POST", contentLength: 2, headers: { "content-type": "" } })).reason.detail, "an empty Content-Type (accepted: application/json)");
  });

  it("judges a chunked body (Transfer-Encoding, no Content-Length) like any other", () => {
    const chunked = { route: api, method: "POST", contentLength: undefined };
    expect415(run({ ...chunked, headers: { "transfer-encoding": "chunked", "content-type": "text/plain" } }));
    assert.equal(run({ ...chunked, headers: { "transfer-encoding": "chunked", "content-type": "application/json" } }), undefined);
  });

  it("lets a request without a body through, whatever its Content-Type says", () => {
    assert.equal(run({ route: api, method: "POST", contentLength: 0, headers: { "content-type": "text/plain" } }), undefined);
    assert.equal(run({ route: api, method: "POST", contentLength: undefined, headers: {} }), undefined);
    assert.equal(run({ route: api, method: "GET", headers: {} }), undefined);
    assert.equal(run({ route: api, method: "HEAD", headers: { "content-type": "text/html" } }), undefined);
  });

  it("accepts any body type on a route that declares none", () => {
    assert.equal(run({ route: anything, method: "POST", contentLength: 9, headers: { "content-type": "application/x-anything" } }), undefined);
    assert.equal(run({ route: anything, method: "POST", contentLength: 9, headers: {} }), undefined);
  });

  it("checks after sizes and the method: 413 and 405 come first", () => {
    const wrongType = { "content-type": "text/plain" };
    const tooLarge = run({ route: uploads, method: "POST", contentLength: 101, headers: wrongType });
    assert.deepEqual([tooLarge?.status, tooLarge?.reason.code], [413, "body_too_large"]);
    const wrongMethod = run({ route: uploads, method: "DELETE", contentLength: 5, headers: wrongType });
    assert.deepEqual([wrongMethod?.status, wrongMethod?.reason.code], [405, "method_not_allowed"]);
  });

  it("bounds the client's Content-Type text in the log detail", () => {
    const verdict = expect415(run({ route: api, method: "POST", contentLength: 2, headers: { "content-type": `text/${"x".repeat(5000)}` } }));
    assert.ok((verdict.reason.detail ?? "").length < 160);
  });

  it("refuses content types the gate could never match", () => {
    for (const types of [new Set<string>(), new Set(["Application/JSON"]), new Set(["application/json; charset=utf-8"]), ["application/json"]]) {
      const route = makeRouteConfig({ id: "bad", methods: ["POST"], contentTypes: types as ReadonlySet<string> });
      assert.throws(
        () => gateLayer({ strictRoutes: true, ip: NO_IP, limits: DEFAULT_LIMITS, routes: [route] }),
        (error: unknown) => error instanceof GateOptionsError && error.path === "routes[0].contentTypes",
      );
    }
  });
});
