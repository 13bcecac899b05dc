/** rampart.yaml rate limits → compiled specs, and the errors (with their paths) for what cannot work. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configOf, issuesOf } from "../../helpers/limits-layer-requests.ts";

const route = (limits: string, methods = "[POST]", extra = "") => `
routes:
  - path: /login
    methods: ${methods}
    upstream: api${extra}
    rate_limits:
${limits}`;

describe("compile rate limits", () => {
  it("compiles each algorithm into its spec, with defaults applied", () => {
    const config = configOf(route(`
      - { name: sw, limit: 5, window: 1m, key: [body.username] }
      - { name: log, algorithm: sliding_log, limit: 3, window: 10m, key: [ip] }
      - { name: tb, algorithm: token_bucket, burst: 10, rate: 5, key: [ip] }
      - { name: g, algorithm: gcra, rate: 20, window: 1s, burst: 4, key: [ip] }
      - { name: fw, algorithm: fixed_window, limit: 100, window: 1h, key: [global] }
      - { name: q, algorithm: quota, limit: 10, per: day, time_zone: Europe/Paris, key: [ip, route] }
      - { name: c, algorithm: concurrency, limit: 2, key: [ip] }
      - { name: h, algorithm: hold, limit: 10, ttl: 30m, key: [session] }`));
    const rules = config.rateLimits?.routes.get("login")?.rules ?? [];
    assert.deepEqual(rules.map((r) => r.spec.kind), ["sliding_window", "sliding_log", "token_bucket", "gcra", "fixed_window", "calendar", "concurrency", "holds"]);
    const [sw, log, tb, g, fw, q, c, h] = rules;
    // Specs are instances of a class per kind (spec.ts): their fields are compared.
    assert.deepEqual([{ ...sw?.spec }, sw?.onExceed, sw?.onStoreError, sw?.count, sw?.windowSeconds], [
      { kind: "sliding_window", limit: 5, windowMs: 60_000, buckets: 1, bucketMs: 60_000, cap: 10 }, "throttle", "open", "all", 60,
    ]);
    assert.deepEqual(sw?.key, [{ kind: "body", name: "username" }]);
    assert.deepEqual({ ...log?.spec }, { kind: "sliding_log", limit: 3, windowMs: 600_000 });
    assert.equal(tb?.spec.kind === "token_bucket" && tb.spec.refillPerSecond, 5);
    assert.equal(g?.spec.kind === "gcra" && g.spec.emissionMs, 50);
    assert.equal(fw?.spec.kind === "fixed_window" && fw.spec.windowMs, 3_600_000);
    assert.equal(q?.spec.kind === "calendar" && q.spec.timeZone, "Europe/Paris");
    assert.deepEqual(q?.key, [{ kind: "ip" }, { kind: "route" }]);
    assert.equal(c?.spec.kind === "concurrency" && c.spec.leaseMs, 120_000);
    assert.equal(h?.spec.kind === "holds" && h.spec.ttlMs, 1_800_000);
  });

  it("turns on a 16kb body view for a route whose limits read the body, and keeps a set one", () => {
    const config = configOf(route("      - { name: u, limit: 5, window: 1m, key: [body.username] }"));
    assert.equal(config.routes[0]?.bodyViewBytes, 16 * 1024);
    const own = configOf(route("      - { name: u, limit: 5, window: 1m, key: [body.username] }", "[POST]", "\n    body: { view_bytes: 2kb }"));
    assert.equal(own.routes[0]?.bodyViewBytes, 2048);
    const none = configOf(route("      - { name: u, limit: 5, window: 1m, key: [ip] }"));
    assert.equal(none.routes[0]?.bodyViewBytes, 0);
  });

  it("refuses a body dimension on a route whose methods carry no body, at the key's path", () => {
    assert.deepEqual(issuesOf(route("      - { name: u, limit: 5, window: 1m, key: [ip, body.username] }", "[GET]")), [
      "routes[0].rate_limits[0].key[1]: body.username reads the request body, but this route's methods (GET) carry none; key it on something else or add POST/PUT/PATCH",
    ]);
  });

  it("refuses a body dimension on a route whose body view is 0", () => {
    const issues = issuesOf(route("      - { name: u, limit: 5, window: 1m, key: [body.email] }", "[POST]", "\n    body: { view_bytes: 0 }"));
    assert.equal(issues.length, 1);
    assert.match(issues[0] ?? "", /^routes\[0\]\.rate_limits\[0\]\.key\[0\]: body\.email reads the request body, but body\.view_bytes is 0/);
  });

  it("refuses a body field on a route that declares only bodies it cannot read, at the key's and the cost's path", () => {
    const multipart = (limits: string) => route(limits, "[POST]", "\n    body: { content_types: [multipart/form-data] }").replace("path: /login", "path: /upload");
    assert.deepEqual(issuesOf(multipart("      - { name: u, limit: 5, window: 1m, key: [ip, body.username], cost: body.size }")), [
      "routes[0].rate_limits[0].key[1]: body.username cannot be read: route /upload takes only multipart/form-data (body fields are read from JSON or form bodies)",
      "routes[0].rate_limits[0].cost: body.size cannot be read: route /upload takes only multipart/form-data (body fields are read from JSON or form bodies)",
    ]);
    const text = issuesOf(route("      - { name: u, limit: 5, window: 1m, key: [body.email] }", "[POST]", "\n    body: { content_types: [text/plain, application/octet-stream] }"));
    assert.deepEqual(text, ["routes[0].rate_limits[0].key[0]: body.email cannot be read: route /login takes only text/plain, application/octet-stream (body fields are read from JSON or form bodies)"]);
  });

  it("accepts a body field on a route that takes JSON, a +json type or a form, and on one that declares nothing", () => {
    const limit = "      - { name: u, limit: 5, window: 1m, key: [body.username] }";
    for (const types of ["[json]", "[multipart/form-data, form]", "[application/problem+json]", "[Application/JSON]"]) {
      const config = configOf(route(limit, "[POST]", `\n    body: { content_types: ${types} }`));
      assert.equal(config.routes[0]?.bodyViewBytes, 16 * 1024, `${types}: the body view is turned on as for an undeclared route`);
    }
    assert.equal(configOf(route(limit)).routes[0]?.contentTypes, undefined);
  });

  it("reports bad algorithm options at their paths", () => {
    const issues = issuesOf(route(`
      - { name: a, algorithm: token_bucket, limit: 5, key: [ip] }
      - { name: b, limit: 5, window: 1m, buckets: 7, key: [ip] }
      - { name: c, algorithm: quota, limit: 5, per: day, time_zone: Mars/Olympus, key: [ip] }
      - { name: d, algorithm: sliding_log, limit: 5000, window: 1m, key: [ip] }
      - { name: e, algorithm: concurrency, limit: 2, count: failures, key: [ip] }
      - { name: f, limit: 5, window: 1m, key: [ip], max_delay: 1s }
      - { name: f, limit: 5, window: 1m, key: [ip] }
      - { name: g, algorithm: bucket, limit: 5, window: 1m, key: [ip] }`));
    assert.deepEqual(issues, [
      'routes[0].rate_limits[0]: algorithm token_bucket needs "burst" and "rate"',
      "routes[0].rate_limits[0].limit: does not apply to algorithm token_bucket (it takes burst, rate, window)",
      "routes[0].rate_limits[1].buckets: window (60000) must be a multiple of buckets (7)",
      'routes[0].rate_limits[2].time_zone: "Mars/Olympus" is not an IANA time zone (Invalid time zone specified: Mars/Olympus)',
      "routes[0].rate_limits[3].limit: must be an integer from 1 to 1000, got 5000",
      "routes[0].rate_limits[4].count: count: failures needs a counting algorithm; concurrency counts what is in flight or held",
      "routes[0].rate_limits[5].max_delay: applies to on_exceed: delay only",
      'routes[0].rate_limits[6].name: limit name "f" is used twice on this route',
      'routes[0].rate_limits[7].algorithm: "bucket" is not an algorithm (sliding_window, sliding_log, token_bucket, gcra, fixed_window, quota, concurrency, hold)',
    ]);
  });

  it("refuses an unknown dimension, a hold release that names no hold, and a plan limit that reads the body", () => {
    const issues = issuesOf(`
plans:
  free:
    rate_limits: [{ name: daily, algorithm: quota, limit: 5, per: day, key: [body.user] }]
routes:
  - path: /a
    methods: [POST]
    upstream: api
    release_hold: nothing
    rate_limits: [{ name: x, limit: 5, window: 1m, key: [cookie.sid] }]`);
    assert.deepEqual(issues, [
      "plans.free.rate_limits[0].key[0]: body.user: a plan's limits apply across routes and cannot read the request body",
      'routes[0].release_hold: no route has a limit "nothing" with algorithm: hold',
      'routes[0].rate_limits[0].key[0]: "cookie.sid" is not a dimension (ip, ip_prefix, key_id, subject, session, route, global, asn, country, header.NAME, query.NAME, body.FIELD)',
    ]);
  });

  it("compiles settings, plans, allow-lists, the store and a hold release", () => {
    const config = configOf(`
rate_limits:
  on_store_error: closed
  ip_prefix: { v4: 16 }
  tiers: { suspicious: 0.25 }
  allow: [{ name: office, cidrs: [10.0.0.0/8], limits: [held] }]
plans:
  free: { rate_limits: [{ name: daily, algorithm: quota, limit: 5, per: month, key: [key_id] }], routes: [cart] }
stores:
  limits: { driver: redis, port: 6380, timeout: 50ms }
routes:
  - { id: cart, path: /cart, methods: [POST], upstream: api, rate_limits: [{ name: held, algorithm: hold, limit: 3, key: [subject] }] }
  - { path: /checkout, methods: [POST], upstream: api, release_hold: { name: held, amount: all } }`);
    const limits = config.rateLimits;
    assert.ok(limits);
    assert.deepEqual([limits.prefixV4, limits.prefixV6, limits.ipV6Prefix, limits.sessionCookie], [16, 56, 56, "session"]);
    assert.deepEqual(limits.tiers, { trusted: 2, normal: 1, suspicious: 0.25 });
    assert.equal(limits.routes.get("cart")?.rules[0]?.onStoreError, "closed");
    assert.equal(limits.allow[0]?.cidrs?.has("10.1.2.3"), true);
    assert.deepEqual([...(limits.allow[0]?.limits ?? [])], ["held"]);
    assert.deepEqual([...(limits.plans.get("free")?.routes ?? [])], ["cart"]);
    assert.equal(limits.plans.get("free")?.rules[0]?.windowSeconds, undefined, "a month has no fixed w");
    assert.deepEqual({ ...limits.store }, { driver: "redis", host: "127.0.0.1", port: 6380, cluster: undefined, username: undefined, password: undefined, db: undefined, keyPrefix: undefined, timeoutMs: 50, connectTimeoutMs: 1000 });
    const release = limits.routes.get("checkout")?.releaseHold;
    assert.deepEqual([release?.routeId, release?.group, release?.rule.name, release?.amount], ["cart", "cart", "held", "all"]);
  });

  it("defaults: every route has an entry, the store is memory, 64mb", () => {
    const config = configOf("routes: [{ path: /a, methods: [GET], upstream: api }]");
    assert.deepEqual(config.rateLimits?.routes.get("a"), { group: "a", rules: [], releaseHold: undefined });
    assert.deepEqual(config.rateLimits?.store, { driver: "memory", maxBytes: 64 * 1024 * 1024 });
  });
});
