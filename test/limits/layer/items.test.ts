/** A rule set's counter items: kept per tier and client address only when nothing else can change them. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { RequestView } from "../../../src/limits/layer/dimensions.ts";
import { itemsOf } from "../../../src/limits/layer/items.ts";
import { prepareRoutes, type RuleSet } from "../../../src/limits/layer/plan.ts";
import { makeContext, makeFacts } from "../../helpers/gate-facts.ts";
import { configOf } from "../../helpers/limits-layer-requests.ts";

function ruleSetOf(limits: string): RuleSet {
  const config = configOf(`
routes:
  - path: /items
    methods: [GET]
    upstream: api
    rate_limits:
${limits}`);
  const rateLimits = config.rateLimits;
  assert.ok(rateLimits !== undefined);
  const plan = [...prepareRoutes(rateLimits).values()][0];
  assert.ok(plan !== undefined);
  return plan.own;
}

const SETTINGS = { ipV6Prefix: 56, prefixV4: 24, prefixV6: 48, sessionCookie: "sid" };
const viewOf = (clientIp: string, query = "") => new RequestView(makeFacts({ clientIp, query }), makeContext(), SETTINGS);

const ADDRESS_ONLY = `
      - { name: per_ip, limit: 20, window: 1m, key: [ip] }
      - { name: per_prefix, algorithm: token_bucket, burst: 100, rate: 10, window: 1s, key: [ip_prefix] }
      - { name: everyone, algorithm: fixed_window, limit: 1000, window: 1h, key: [global], cost: 2 }`;

describe("SetItems", () => {
  it("property: limits keyed by address alone give, per tier, the items made afresh, and the same objects to a returning client", () => {
    const set = ruleSetOf(ADDRESS_ONLY);
    const request = fc.record({ ip: fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4().map((v4) => `::ffff:${v4}`)), tier: fc.constantFrom("trusted" as const, "normal" as const, "suspicious" as const) });
    fc.assert(fc.property(fc.array(request, { minLength: 1, maxLength: 30 }), (requests) => {
      for (const { ip, tier } of requests) {
        const items = set.items.of(tier, 1, viewOf(ip));
        assert.deepEqual(items, itemsOf(set.rules, tier, 1, viewOf(ip)));
        assert.equal(set.items.of(tier, 1, viewOf(ip)), items, "a returning client gets the kept items");
      }
    }), { numRuns: 100 });
  });

  it("stays exact past its bound: a rotation through thousands of addresses never gets another client's items", () => {
    const set = ruleSetOf(ADDRESS_ONLY);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 3000; i++) {
        const ip = `2001:db8:${(i >> 8).toString(16)}:${(i & 255).toString(16)}::1`;
        assert.deepEqual(set.items.of("normal", 1, viewOf(ip)), itemsOf(set.rules, "normal", 1, viewOf(ip)));
      }
    }
  });

  it("tiers and scaled loads never share items", () => {
    const set = ruleSetOf(ADDRESS_ONLY);
    const normal = set.items.of("normal", 1, viewOf("203.0.113.7"));
    const trusted = set.items.of("trusted", 1, viewOf("203.0.113.7"));
    assert.notEqual(normal[0]!.spec, trusted[0]!.spec);
    const scaled = set.items.of("normal", 0.5, viewOf("203.0.113.7"));
    assert.notEqual(scaled, normal);
    assert.deepEqual(scaled, itemsOf(set.rules, "normal", 0.5, viewOf("203.0.113.7")));
  });

  it("a cost read from the request makes the items afresh for every request of the same client", () => {
    const set = ruleSetOf(`
      - { name: per_ip, limit: 20, window: 1m, key: [ip] }
      - { name: pages, limit: 500, window: 1m, key: [ip], cost: query.page_size, max_cost: 100, default_cost: 100 }`);
    const small = set.items.of("normal", 1, viewOf("203.0.113.7", "page_size=5"));
    const large = set.items.of("normal", 1, viewOf("203.0.113.7", "page_size=50"));
    assert.deepEqual([small[1]!.cost, large[1]!.cost], [5, 50]);
  });

  it("a key read from the request (a header) makes the items afresh", () => {
    const set = ruleSetOf(`
      - { name: per_client, limit: 20, window: 1m, key: [ip, header.x-client] }`);
    const facts = (client: string) => makeFacts({ clientIp: "203.0.113.7", headers: { "x-client": client } });
    const a = set.items.of("normal", 1, new RequestView(facts("a"), makeContext(), SETTINGS));
    const b = set.items.of("normal", 1, new RequestView(facts("b"), makeContext(), SETTINGS));
    assert.notEqual(a[0]!.key, b[0]!.key);
  });
});
