/** End to end through a real gateway: proxying, client addresses, methods, CORS, sizes, dry-run, plain HTTP refusal. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { basicYaml, eventually, startTestGateway, type TestGateway } from "../helpers/server-gateway.ts";
import type { Seen } from "../helpers/server-upstream.ts";

const ROUTES = `
  - id: items
    path: /items
    methods: [GET, POST]
    upstream: api
    cors:
      origins: ["https://app.example"]
      methods: [GET, POST]
      headers: [content-type]
  - id: item
    path: /items/:id
    methods: [GET]
    upstream: api
    account: param.id
  - id: login
    path: /login
    methods: [POST]
    upstream: api
    account: body.username
    body:
      view_bytes: 256
  - id: small
    path: /small
    methods: [GET, POST]
    upstream: api
    limits:
      max_header_bytes: 1kb
      max_url_bytes: 100
      max_body_bytes: 64
`;

describe("gateway: proxying", () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway((upstream) => basicYaml(upstream, ROUTES));
  });
  after(() => t.close());

  it("proxies a GET end to end and logs one line", async () => {
    const res = await fetch(`${t.url}/items?page=2`, { headers: { "user-agent": "test-agent" } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("server"), null);
    const seen = (await res.json()) as Seen;
    assert.equal(seen.method, "GET");
    assert.equal(seen.url, "/items?page=2");
    assert.ok(typeof seen.headers["x-request-id"] === "string");
    await eventually(() => t.requestLines().some((l) => l["path"] === "/items" && l["method"] === "GET"));
    const line = t.requestLines().find((l) => l["path"] === "/items") as Record<string, unknown>;
    assert.equal(line["route"], "items");
    assert.equal(line["status"], 200);
    assert.equal(line["action"], "allow");
    assert.equal(line["client_ip"], "127.0.0.1");
    assert.equal(line["user_agent"], "test-agent");
    assert.equal(line["req_id"], seen.headers["x-request-id"]);
    assert.equal(typeof line["latency_ms"], "number");
    assert.equal(typeof line["upstream_ms"], "number");
  });

  it("proxies a POST body and reads the account from a body view", async () => {
    const body = JSON.stringify({ username: "alice", password: "secret" });
    const res = await fetch(`${t.url}/login`, { method: "POST", headers: { "content-type": "application/json" }, body });
    assert.equal(res.status, 200);
    const seen = (await res.json()) as Seen;
    assert.equal(seen.method, "POST");
    assert.equal(seen.body, body, "the body view's bytes are sent ahead of the rest");
    await eventually(() => t.requestLines().some((l) => l["path"] === "/login"));
    assert.equal(t.requestLines().find((l) => l["path"] === "/login")?.["account"], "alice");
  });

  it("streams a POST body larger than the view unchanged", async () => {
    const body = JSON.stringify({ username: "bob", pad: "x".repeat(100_000) });
    const res = await fetch(`${t.url}/login`, { method: "POST", headers: { "content-type": "application/json" }, body });
    assert.equal(res.status, 200);
    const seen = (await res.json()) as Seen;
    assert.equal(seen.body.length, body.length);
    assert.equal(seen.body, body);
  });

  it("logs the account named by a route parameter", async () => {
    const res = await fetch(`${t.url}/items/42`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    await eventually(() => t.requestLines().some((l) => l["path"] === "/items/42"));
    assert.equal(t.requestLines().find((l) => l["path"] === "/items/42")?.["account"], "42");
  });

  it("does not believe X-Forwarded-For from an untrusted client", async () => {
    const res = await fetch(`${t.url}/items`, { headers: { "x-forwarded-for": "203.0.113.9" } });
    const seen = (await res.json()) as Seen;
    assert.equal(seen.headers["x-forwarded-for"], "127.0.0.1");
    await eventually(() => t.lines.some((l) => l["code"] === "RAMPART_WARN_TRUST_PROXY_UNSET"));
    const line = t.requestLines().find((l) => l["req_id"] === seen.headers["x-request-id"]);
    assert.equal(line?.["client_ip"], "127.0.0.1");
  });

  it("answers 405 with Allow, and a CORS preflight on the same route with 204", async () => {
    const res = await fetch(`${t.url}/items`, { method: "DELETE" });
    assert.equal(res.status, 405);
    assert.match(res.headers.get("content-type") ?? "", /application\/problem\+json/);
    assert.match(res.headers.get("allow") ?? "", /GET/);
    assert.match(res.headers.get("allow") ?? "", /POST/);
    const problem = (await res.json()) as Record<string, unknown>;
    assert.equal(problem["status"], 405);
    assert.doesNotMatch(JSON.stringify(problem), /rampart|gate/i);

    const preflight = await fetch(`${t.url}/items`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "https://app.example");
    const refused = await fetch(`${t.url}/items`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    assert.equal(refused.status, 403);
    await refused.arrayBuffer();
  });

  it("adds CORS headers to a proxied answer for an allowed origin", async () => {
    const res = await fetch(`${t.url}/items`, { headers: { origin: "https://app.example" } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), "https://app.example");
    await res.arrayBuffer();
  });

  it("answers 413, 414 and 431 as configured, without reaching the upstream", async () => {
    const before = t.upstream.seen.length;
    const big = await fetch(`${t.url}/small`, { method: "POST", body: "x".repeat(65) });
    assert.equal(big.status, 413);
    await big.arrayBuffer();
    const long = await fetch(`${t.url}/small?${"q".repeat(120)}`);
    assert.equal(long.status, 414);
    await long.arrayBuffer();
    const headers = await fetch(`${t.url}/small`, { headers: { "x-pad": "h".repeat(1100) } });
    assert.equal(headers.status, 431);
    await headers.arrayBuffer();
    assert.equal(t.upstream.seen.length, before);
    const ok = await fetch(`${t.url}/small`, { method: "POST", body: "x".repeat(64) });
    assert.equal(ok.status, 200);
    await ok.arrayBuffer();
  });

  it("answers 404 for an unknown path (strict routes) as a problem", async () => {
    const res = await fetch(`${t.url}/nowhere`);
    assert.equal(res.status, 404);
    assert.match(res.headers.get("content-type") ?? "", /application\/problem\+json/);
    await res.arrayBuffer();
  });
});

describe("gateway: trusted proxies", () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway((upstream) => basicYaml(upstream, ROUTES, "trusted_proxies: [127.0.0.1]"));
  });
  after(() => t.close());

  it("believes X-Forwarded-For from a trusted proxy", async () => {
    const res = await fetch(`${t.url}/items`, { headers: { "x-forwarded-for": "203.0.113.9", "x-request-id": "from-the-lb-1" } });
    const seen = (await res.json()) as Seen;
    assert.equal(seen.headers["x-forwarded-for"], "203.0.113.9, 127.0.0.1");
    assert.equal(seen.headers["x-request-id"], "from-the-lb-1");
    await eventually(() => t.requestLines().some((l) => l["req_id"] === "from-the-lb-1"));
    assert.equal(t.requestLines().find((l) => l["req_id"] === "from-the-lb-1")?.["client_ip"], "203.0.113.9");
    assert.ok(!t.lines.some((l) => l["code"] === "RAMPART_WARN_TRUST_PROXY_UNSET"));
  });
});

describe("gateway: dry-run", () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway((upstream) => basicYaml(upstream, ROUTES, "mode: dry-run"));
  });
  after(() => t.close());

  it("logs what would have been denied and lets the request pass", async () => {
    const res = await fetch(`${t.url}/items`, { method: "DELETE" });
    assert.equal(res.status, 200);
    const seen = (await res.json()) as Seen;
    assert.equal(seen.method, "DELETE");
    await eventually(() => t.requestLines().some((l) => l["method"] === "DELETE"));
    const line = t.requestLines().find((l) => l["method"] === "DELETE") as Record<string, unknown>;
    assert.equal(line["action"], "allow");
    assert.equal(line["would_have"], "deny");
    assert.ok((line["reasons"] as string[]).length > 0);
  });
});

describe("gateway: refuse_plain_http", () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway((upstream) => basicYaml(upstream, ROUTES).replace("    port: 0\n", "    port: 0\n    refuse_plain_http: true\n"));
  });
  after(() => t.close());

  it("answers every plain HTTP request with a 403 problem", async () => {
    const res = await fetch(`${t.url}/items`);
    assert.equal(res.status, 403);
    assert.match(res.headers.get("content-type") ?? "", /application\/problem\+json/);
    await res.arrayBuffer();
    assert.equal(t.upstream.seen.length, 0);
  });
});
