/** The penalty box: exceeding a limit with `penalty` blocks the client through Controls, and the gate enforces it everywhere. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compose } from "../../../src/compose/pipeline.ts";
import { createMemoryControls } from "../../../src/store/memory/controls.ts";
import { configOf, exchange } from "../../helpers/limits-layer-requests.ts";

const START = 1_700_000_040_000;

function setup(penalty: string, mode = "") {
  const clock = { now: START };
  const controls = createMemoryControls({ now: () => clock.now });
  const composed = compose(configOf(`${mode}
routes:
  - path: /login
    methods: [POST]
    upstream: api
    rate_limits:
      - { name: login_ip, algorithm: fixed_window, limit: 2, window: 1m, key: [ip], penalty: ${penalty} }
  - { path: /products, methods: [GET], upstream: api }
`), { controls, now: () => clock.now });
  return { clock, controls, composed };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("penalty box", () => {
  it("blocks the address that exceeded the limit, on every route, until the TTL runs out", async () => {
    const { clock, controls, composed } = setup("{ ttl: 10m }");
    const login = () => exchange(composed, { method: "POST", path: "/login", json: {}, ip: "198.51.100.9" });
    assert.equal((await login()).action, "allow");
    assert.equal((await login()).action, "allow");
    assert.equal((await login()).status, 429);
    await settle();
    const block = controls.findBlock({ ip: "198.51.100.9" }, clock.now);
    assert.equal(block?.source, "penalty");
    assert.equal(block?.author, "penalty:login_ip");
    assert.equal(block?.expiresAt, START + 600_000);
    const elsewhere = await exchange(composed, { path: "/products", ip: "198.51.100.9" });
    assert.deepEqual([elsewhere.action, elsewhere.status, elsewhere.reasons[0]?.code], ["deny", 403, "blocked"]);
    assert.equal((await exchange(composed, { path: "/products", ip: "198.51.100.10" })).action, "allow", "a neighbour is not boxed");
    clock.now += 600_000;
    assert.equal((await exchange(composed, { path: "/products", ip: "198.51.100.9" })).action, "allow");
  });

  it("can box the whole prefix (/24 for IPv4)", async () => {
    const { clock, controls, composed } = setup("{ ttl: 1m, block: prefix }");
    for (let i = 0; i < 3; i++) await exchange(composed, { method: "POST", path: "/login", json: {}, ip: "198.51.100.9" });
    await settle();
    assert.equal(controls.findBlock({ ip: "198.51.100.200" }, clock.now)?.kind, "prefix");
  });

  it("boxes nobody in dry-run", async () => {
    const { clock, controls, composed } = setup("{ ttl: 1m }", "mode: dry-run");
    for (let i = 0; i < 4; i++) await exchange(composed, { method: "POST", path: "/login", json: {}, ip: "198.51.100.9" });
    await settle();
    assert.equal(controls.findBlock({ ip: "198.51.100.9" }, clock.now), undefined);
  });
});
