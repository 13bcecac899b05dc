/** In-process reload: a new config serves the next request; a reload that cannot be built is refused whole. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { basicYaml, configFrom, startTestGateway, type TestGateway } from "../helpers/server-gateway.ts";

const ONE = `
  - id: a
    path: /a
    methods: [GET]
    upstream: api
`;
const TWO = `${ONE}
  - id: b
    path: /b
    methods: [GET]
    upstream: api
`;

async function status(url: string): Promise<number> {
  const res = await fetch(url);
  await res.arrayBuffer();
  return res.status;
}

describe("gateway: reload", () => {
  let t: TestGateway;
  let upstreamUrl = "";
  before(async () => {
    t = await startTestGateway((upstream) => {
      upstreamUrl = upstream;
      return basicYaml(upstream, ONE);
    });
  });
  after(() => t.close());

  it("serves the new routes after a reload", async () => {
    assert.equal(await status(`${t.url}/b`), 404);
    await t.gateway.reload(configFrom(basicYaml(upstreamUrl, TWO)));
    assert.equal(await status(`${t.url}/b`), 200);
    assert.equal(await status(`${t.url}/a`), 200);
  });

  it("finishes a request in flight on the old config while the new one serves", async () => {
    const slowYaml = basicYaml(upstreamUrl, `${TWO}
  - id: slow
    path: /slow
    methods: [GET]
    upstream: api
`);
    await t.gateway.reload(configFrom(slowYaml));
    const slow = fetch(`${t.url}/slow?ms=400`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await t.gateway.reload(configFrom(basicYaml(upstreamUrl, ONE)));
    const res = await slow;
    assert.equal(res.status, 200, "the old generation's pool stayed open for its request");
    await res.arrayBuffer();
    assert.equal(await status(`${t.url}/slow`), 404);
  });

  it("refuses a reload that would move a listener, and keeps serving the old config", async () => {
    const moved = basicYaml(upstreamUrl, TWO).replace("port: 0", "port: 1");
    await assert.rejects(t.gateway.reload(configFrom(moved)), (error: Error & { code?: string }) => error.code === "RAMPART_ERR_RELOAD_LISTENERS");
    assert.equal(await status(`${t.url}/a`), 200);
    assert.equal(await status(`${t.url}/b`), 404);
  });
});
