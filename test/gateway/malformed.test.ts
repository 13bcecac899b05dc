/** Malformed HTTP gets a 400 problem, the connection is closed, and the upstream sees nothing. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { basicYaml, startTestGateway, type TestGateway } from "../helpers/server-gateway.ts";
import { sendRaw } from "../helpers/server-raw.ts";

const ROUTES = `
  - id: items
    path: /items
    methods: [GET, POST]
    upstream: api
`;

describe("gateway: malformed requests", () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway((upstream) => basicYaml(upstream, ROUTES));
  });
  after(() => t.close());

  const cases: Array<[string, string]> = [
    ["a bad request line", "GET /items HTTP/1.1 extra\r\nHost: x\r\n\r\n"],
    ["a method with invalid characters", "G(T /items HTTP/1.1\r\nHost: x\r\n\r\n"],
    ["both Content-Length and Transfer-Encoding", "POST /items HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"],
    ["two different Content-Length values", "POST /items HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde"],
    ["an invalid character in a header name", "GET /items HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n"],
    ["an invalid character in a header value", "GET /items HTTP/1.1\r\nHost: x\r\nX-Test: a\x01b\r\n\r\n"],
  ];
  for (const [what, bytes] of cases) {
    it(`answers ${what} with a 400 problem and closes`, async () => {
      const answer = await sendRaw(t.url, bytes);
      assert.equal(answer.status, 400, answer.text);
      assert.match(answer.text, /content-type: application\/problem\+json/i);
      assert.match(answer.text, /"status":400/);
      assert.doesNotMatch(answer.text, /rampart|^server:/im);
      assert.ok(answer.closed);
      assert.equal(t.upstream.seen.length, 0);
    });
  }

  it("answers a request without Host with a 400 problem", async () => {
    const answer = await sendRaw(t.url, "GET /items HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert.equal(answer.status, 400);
    assert.match(answer.text, /application\/problem\+json/);
    assert.equal(t.upstream.seen.length, 0);
  });

  it("answers an oversized header block Node refuses itself with a 431 problem", async () => {
    const answer = await sendRaw(t.url, `GET /items HTTP/1.1\r\nHost: x\r\nX-Pad: ${"p".repeat(64 * 1024)}\r\n\r\n`);
    assert.equal(answer.status, 431);
    assert.match(answer.text, /application\/problem\+json/);
    assert.equal(t.upstream.seen.length, 0);
  });

  it("still serves a well-formed request", async () => {
    const answer = await sendRaw(t.url, "GET /items HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.equal(answer.status, 200);
    assert.equal(t.upstream.seen.length, 1);
  });
});
