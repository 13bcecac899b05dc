/** The gateway's admin listener: readiness from listeners and upstream health, metrics of proxied requests. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { basicYaml, eventually, startTestGateway, withAdminListener, type TestGateway } from "../helpers/server-gateway.ts";

const TOKEN = "gateway-test-token-0123456789";
const ROUTES = `
  - id: items
    path: /items
    methods: [GET]
    upstream: api
`;

describe("gateway: admin listener", () => {
  let t: TestGateway;
  let admin = "";
  before(async () => {
    t = await startTestGateway((upstream) =>
      withAdminListener(
        basicYaml(upstream, ROUTES).replace(`targets: ["${upstream}"]`, `targets: ["${upstream}"]\n    health_check:\n      path: /items\n      interval: 100ms\n      timeout: 100ms\n      healthy_after: 1\n      unhealthy_after: 1`),
        TOKEN,
      ),
    );
    admin = t.gateway.adminUrl ?? "";
  });
  after(() => t.close());

  async function ready(): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${admin}/readyz`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it("reports ready with listeners bound and a healthy target, and counts proxied requests", async () => {
    assert.match(admin, /^http:\/\/127\.0\.0\.1:\d+$/);
    await eventually(() => t.upstream.seen.some((seen) => seen.url === "/items"), 3000, "a health check");
    const { status, body } = await ready();
    assert.equal(status, 200, JSON.stringify(body));
    const res = await fetch(`${t.url}/items`);
    await res.arrayBuffer();
    const metrics = await (await fetch(`${admin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    assert.match(metrics, /rampart_requests_total\{[^}]*route="items"[^}]*\} 1/);
    assert.match(metrics, /rampart_decision_latency_seconds_count \d+/);
  });

  it("reports not ready once the only upstream target is down", async () => {
    await t.upstream.close();
    let last = 0;
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      last = (await ready()).status;
      if (last === 503) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(last, 503);
  });
});
