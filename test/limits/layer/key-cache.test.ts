/** Counter keys found without reading the request again: by client address, or once for all. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { LimitDimension } from "../../../src/config/config.ts";
import { keyOf, RequestView, type DimensionSettings } from "../../../src/limits/layer/dimensions.ts";
import { CounterKeys } from "../../../src/limits/layer/key-cache.ts";
import { makeContext, makeFacts, makeRoute } from "../../helpers/gate-facts.ts";

const SETTINGS: DimensionSettings = { ipV6Prefix: 56, prefixV4: 24, prefixV6: 48, sessionCookie: "sid" };
const view = (clientIp: string, routeId = "login") =>
  new RequestView(makeFacts({ clientIp, route: makeRoute({ id: routeId }) }), makeContext(), SETTINGS);
const dims = (...kinds: ("ip" | "ip_prefix" | "global" | "route")[]): LimitDimension[] => kinds.map((kind) => ({ kind }) as LimitDimension);

const address = fc.oneof(
  fc.ipV4(),
  fc.ipV6(),
  fc.ipV4().map((v4) => `::ffff:${v4}`),
  fc.constantFrom("", "not-an-ip", "1.2.3.4%eth0", "010.0.0.1"),
);

describe("CounterKeys", () => {
  it("property: the key by address is the key read from the request, for every dimension set, however often asked", () => {
    for (const key of [dims("ip"), dims("ip_prefix"), dims("global"), dims("route"), dims("ip", "route")]) {
      const keys = new CounterKeys("r:login:x:", key);
      fc.assert(fc.property(fc.array(address, { minLength: 1, maxLength: 20 }), (addresses) => {
        for (const ip of [...addresses, ...addresses]) assert.equal(keys.of(view(ip)), `r:login:x:${keyOf(key, view(ip))}`);
      }), { numRuns: 200 });
    }
  });

  it("counts an IPv4-mapped IPv6 address as its IPv4 address, and a /24 as one bucket", () => {
    const perIp = new CounterKeys("p:", dims("ip"));
    assert.equal(perIp.of(view("::ffff:203.0.113.9")), perIp.of(view("203.0.113.9")));
    const perPrefix = new CounterKeys("p:", dims("ip_prefix"));
    assert.equal(perPrefix.of(view("203.0.113.9")), perPrefix.of(view("203.0.113.200")));
    assert.notEqual(perPrefix.of(view("203.0.113.9")), perPrefix.of(view("203.0.114.9")));
  });

  it("stays exact past its bound: a rotation through many addresses never returns another client's key", () => {
    const keys = new CounterKeys("p:", dims("ip"));
    for (let i = 0; i < 10_000; i++) {
      const ip = `2001:db8:${(i >> 8).toString(16)}:${(i & 255).toString(16)}::1`;
      assert.equal(keys.of(view(ip)), `p:${keyOf(dims("ip"), view(ip))}`);
    }
  });

  it("makes a global key once, the same string for every request", () => {
    const keys = new CounterKeys("r:login:all:", dims("global"));
    assert.equal(keys.of(view("203.0.113.9")), "r:login:all:*");
    assert.equal(keys.of(view("198.51.100.1", "other")), keys.of(view("203.0.113.9")));
  });
});
