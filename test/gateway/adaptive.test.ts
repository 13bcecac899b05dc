/** The gateway and adaptive limits: the factor per upstream is a metric. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { basicYaml, startTestGateway, withAdminListener, type TestGateway } from "../helpers/server-gateway.ts";

const TOKEN = "gateway-test-token-0123456789";
const ROUTES = `
  - id: items
    path: /items
    methods: [GET]
    upstream: api
`;

describe("gateway: adaptive limits", () => {
  let t: TestGateway;
  let admin = "";
  const yaml = (upstream: string): string =>
    `${withAdminListener(basicYaml(upstream, ROUTES), TOKEN)}\nadaptive: {}\n`;
  before(async () => {
    t = await startTestGateway(yaml);
    admin = t.gateway.adminUrl ?? "";
  });
  after(() => t.close());

  const metrics = async (): Promise<string> =>
    (await fetch(`${admin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();

  it("exposes the adaptive factor of each upstream, whole (1) while the upstream keeps up", async () => {
    const res = await fetch(`${t.url}/items`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.match(await metrics(), /^rampart_adaptive_factor\{upstream="api"\} 1$/m);
  });
});
