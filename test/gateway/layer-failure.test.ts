/**
 * A layer that throws is handled by the route's on_error policy and logged at error level.
 * The failure is real: Controls (the port the gate reads active blocks through) fails.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Controls } from "../../src/engine/index.ts";
import { basicYaml, eventually, startTestGateway, type TestGateway } from "../helpers/server-gateway.ts";

/** Controls whose store is unreachable: every lookup throws. */
const unreachableControls: Controls = {
  findBlock() {
    throw new Error("controls store unreachable");
  },
  addBlock: () => Promise.reject(new Error("controls store unreachable")),
  removeBlock: () => Promise.reject(new Error("controls store unreachable")),
  listBlocks: () => [],
};

const ROUTES = `
  - id: closed
    path: /closed
    methods: [GET]
    upstream: api
    on_error: closed
  - id: open
    path: /open
    methods: [GET]
    upstream: api
    on_error: open
`;

describe("gateway: layer failures", () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway((upstream) => basicYaml(upstream, ROUTES), { controls: unreachableControls });
  });
  after(() => t.close());

  it("answers 503 on a route with on_error closed, and logs the failure at error level", async () => {
    const res = await fetch(`${t.url}/closed`);
    assert.equal(res.status, 503);
    assert.match(res.headers.get("content-type") ?? "", /application\/problem\+json/);
    const body = await res.text();
    assert.doesNotMatch(body, /unreachable|gate|rampart/i);
    assert.equal(t.upstream.seen.length, 0);
    await eventually(() => t.lines.some((line) => line["level"] === "error" && line["msg"] === "layer failed" && line["route"] === "closed"));
  });

  it("passes on a route with on_error open, still logging the failure", async () => {
    const res = await fetch(`${t.url}/open`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.equal(t.upstream.seen.length, 1);
    await eventually(() => t.lines.some((line) => line["level"] === "error" && line["msg"] === "layer failed" && line["route"] === "open"));
    const request = t.requestLines().find((line) => line["path"] === "/open");
    assert.ok(Array.isArray(request?.["errors"]));
  });
});
