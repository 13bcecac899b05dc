/** CORS: preflight detection, preflight answers, and headers for actual responses. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CorsPolicy } from "../../src/config/config.ts";
import { corsHeaders, isPreflight, preflightHeaders } from "../../src/gate/cors.ts";

const APP = "https://app.example.test";

function policy(over: Partial<CorsPolicy> = {}): CorsPolicy {
  return {
    origins: [APP, "https://admin.example.test"],
    methods: ["GET", "POST"],
    headers: ["content-type", "x-token"],
    exposeHeaders: [],
    credentials: false,
    maxAgeSeconds: undefined,
    ...over,
  };
}

describe("isPreflight", () => {
  it("needs OPTIONS, Origin and Access-Control-Request-Method", () => {
    const headers = { origin: APP, "access-control-request-method": "POST" };
    assert.equal(isPreflight("OPTIONS", headers), true);
    assert.equal(isPreflight("GET", headers), false);
    assert.equal(isPreflight("OPTIONS", { origin: APP }), false);
    assert.equal(isPreflight("OPTIONS", { "access-control-request-method": "POST" }), false);
  });
});

describe("preflightHeaders", () => {
  it("allows a listed origin and method: echoes the origin, lists methods and headers", () => {
    const headers = preflightHeaders(policy({ maxAgeSeconds: 600 }), APP, "POST", "Content-Type, X-Token");
    assert.deepEqual(headers, {
      "access-control-allow-origin": APP,
      "access-control-allow-methods": "GET, POST",
      "access-control-allow-headers": "content-type, x-token",
      "access-control-max-age": "600",
      vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    });
  });

  it("refuses an origin, a method or a request header that is not allowed", () => {
    assert.equal(preflightHeaders(policy(), "https://evil.example.test", "POST", undefined), undefined);
    assert.equal(preflightHeaders(policy(), APP, "DELETE", undefined), undefined);
    assert.equal(preflightHeaders(policy(), APP, "POST", "content-type, x-secret"), undefined);
    // Prefix tricks are not a match: origins are compared whole.
    assert.equal(preflightHeaders(policy(), `${APP}.evil.test`, "POST", undefined), undefined);
  });

  it("says credentials when the policy allows them", () => {
    const headers = preflightHeaders(policy({ credentials: true }), APP, "GET", undefined);
    assert.equal(headers?.["access-control-allow-credentials"], "true");
    assert.equal(headers?.["access-control-allow-origin"], APP);
  });

  it("answers any origin with * when no credentials, and echoes requested headers for headers: *", () => {
    const headers = preflightHeaders(policy({ origins: "*", headers: ["*"] }), "https://anyone.test", "GET", "X-Custom");
    assert.equal(headers?.["access-control-allow-origin"], "*");
    assert.equal(headers?.["access-control-allow-headers"], "x-custom");
  });

  it("reads the values from a request's header map too", () => {
    const headers = preflightHeaders(policy(), { origin: APP, "access-control-request-method": "GET", "access-control-request-headers": "x-token" });
    assert.equal(headers?.["access-control-allow-origin"], APP);
    assert.equal(preflightHeaders(policy(), { origin: APP }), undefined);
  });
});

describe("corsHeaders", () => {
  it("echoes a listed origin with Vary: Origin", () => {
    assert.deepEqual(corsHeaders(policy(), APP), { "access-control-allow-origin": APP, vary: "Origin" });
  });

  it("adds only Vary: Origin for an origin not listed, or no origin (caches must not mix them)", () => {
    assert.deepEqual(corsHeaders(policy(), "https://evil.example.test"), { vary: "Origin" });
    assert.deepEqual(corsHeaders(policy(), undefined), { vary: "Origin" });
  });

  it("answers * for any origin without credentials, nothing when the request has no Origin", () => {
    assert.deepEqual(corsHeaders(policy({ origins: "*" }), "https://anyone.test"), { "access-control-allow-origin": "*" });
    assert.equal(corsHeaders(policy({ origins: "*" }), undefined), undefined);
  });

  it("adds credentials and exposed headers", () => {
    assert.deepEqual(corsHeaders(policy({ credentials: true, exposeHeaders: ["RateLimit", "Retry-After"] }), APP), {
      "access-control-allow-credentials": "true",
      "access-control-expose-headers": "RateLimit, Retry-After",
      "access-control-allow-origin": APP,
      vary: "Origin",
    });
  });

  it("never answers * with credentials: echoes the origin instead", () => {
    const headers = corsHeaders(policy({ origins: "*", credentials: true }), "https://anyone.test");
    assert.equal(headers?.["access-control-allow-origin"], "https://anyone.test");
    assert.equal(headers?.["access-control-allow-credentials"], "true");
  });

  it("prepares answers once per policy (same object for the same origin)", () => {
    const shared = policy();
    assert.equal(corsHeaders(shared, APP), corsHeaders(shared, APP));
  });
});
