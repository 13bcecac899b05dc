/** End to end through a real gateway: a body of a media type the route does not declare gets 415 and never reaches the upstream. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { basicYaml, eventually, startTestGateway, type TestGateway } from "../helpers/server-gateway.ts";
import type { Seen } from "../helpers/server-upstream.ts";

const ROUTES = `
  - id: login
    path: /login
    methods: [GET, POST]
    upstream: api
    body:
      content_types: [json]
    rate_limits:
      - { name: per_user, limit: 100, window: 1m, key: [body.username] }
  - id: upload
    path: /upload
    methods: [POST]
    upstream: api
    body:
      content_types: [multipart/form-data, application/octet-stream]
`;

describe("gateway: body media types", () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway((upstream) => basicYaml(upstream, ROUTES));
  });
  after(() => t.close());

  it("answers a text/plain POST to a JSON route with a 415 problem and Accept-Post, without calling the upstream", async () => {
    const res = await fetch(`${t.url}/login?case=text`, { method: "POST", headers: { "content-type": "text/plain" }, body: "username=alice" });
    assert.equal(res.status, 415);
    assert.match(res.headers.get("content-type") ?? "", /^application\/problem\+json/);
    assert.equal(res.headers.get("accept-post"), "application/json");
    const problem = (await res.json()) as Record<string, unknown>;
    assert.equal(problem["status"], 415);
    assert.doesNotMatch(JSON.stringify(problem), /rampart|gate/i);
    await eventually(() => t.requestLines().some((l) => l["path"] === "/login" && l["status"] === 415), 2000, "the 415 request line");
    assert.equal(t.upstream.seen.filter((s) => s.url === "/login?case=text").length, 0, "the upstream never saw the request");
  });

  it("refuses a chunked body without a Content-Type", async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("raw bytes"));
        controller.close();
      },
    });
    const res = await fetch(`${t.url}/upload?case=chunked`, { method: "POST", body, duplex: "half" } as RequestInit & { duplex: "half" });
    assert.equal(res.status, 415);
    assert.equal(res.headers.get("accept-post"), "multipart/form-data, application/octet-stream");
    await res.arrayBuffer();
    assert.equal(t.upstream.seen.filter((s) => s.url === "/upload?case=chunked").length, 0);
  });

  it("proxies JSON with parameters, and a GET without a body, unchanged", async () => {
    const body = JSON.stringify({ username: "alice" });
    const res = await fetch(`${t.url}/login?case=json`, { method: "POST", headers: { "content-type": "Application/JSON; charset=utf-8" }, body });
    assert.equal(res.status, 200);
    const seen = (await res.json()) as Seen;
    assert.equal(seen.body, body, "the body view's bytes are sent ahead of the rest");
    assert.ok(res.headers.get("ratelimit-policy"), "the limit keyed on body.username ran");

    const get = await fetch(`${t.url}/login?case=get`);
    assert.equal(get.status, 200);
    await get.arrayBuffer();
  });
});
