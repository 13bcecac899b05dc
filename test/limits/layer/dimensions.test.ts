/** Key extraction and normalization: one client, address or destination is one bucket however it is spelled. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { LimitDimension } from "../../../src/config/config.ts";
import type { RequestFacts } from "../../../src/engine/index.ts";
import { costOf, dimensionValue, keyOf, RequestView, type DimensionSettings } from "../../../src/limits/layer/dimensions.ts";
import { MISSING } from "../../../src/limits/normalize.ts";
import { makeContext, makeFacts, makeRoute } from "../../helpers/gate-facts.ts";

const SETTINGS: DimensionSettings = { ipV6Prefix: 56, prefixV4: 24, prefixV6: 56, sessionCookie: "sid" };
const enc = (text: string) => new TextEncoder().encode(text);

function view(over: Partial<RequestFacts> = {}, identity?: { keyId?: string; subject?: string }): RequestView {
  const ctx = makeContext();
  if (identity !== undefined) ctx.identity = { method: "api_key", scopes: [], ...identity };
  return new RequestView(makeFacts({ route: makeRoute({ id: "login" }), ...over }), ctx, SETTINGS);
}
const json = (value: unknown, truncated = false) => ({ body: { contentType: "application/json", bytes: enc(JSON.stringify(value)), truncated } });
const body = (name: string): LimitDimension => ({ kind: "body", name });

describe("dimensions", () => {
  it("normalizes body fields: e-mail case, gmail dots and +tags, phone digits", () => {
    const table: [unknown, LimitDimension, string][] = [
      [{ email: "J.Doe+promo@GMail.com " }, body("email"), "jdoe@gmail.com"],
      [{ email: "jdoe@googlemail.com" }, body("email"), "jdoe@gmail.com"],
      [{ email: "j.doe+x@example.com" }, body("email"), "j.doe@example.com"],
      [{ email: "not-an-address" }, body("email"), MISSING],
      [{ username: "Al.Ice+1@gmail.com" }, body("username"), "alice@gmail.com"],
      [{ username: "  Alice   Smith " }, body("username"), "alice smith"],
      [{ phone: "+1 (555) 010-0100" }, body("phone"), "15550100100"],
      [{ phone: 15550100100 }, body("phone"), "15550100100"],
      [{ phone: "call me" }, body("phone"), MISSING],
      [{ user: { email: "A@B.io" } }, body("user.email"), "a@b.io"],
      [{ username: ["alice"] }, body("username"), MISSING],
      [{ username: "" }, body("username"), MISSING],
      [{ other: "x" }, body("username"), MISSING],
    ];
    for (const [value, dimension, expected] of table) {
      assert.equal(dimensionValue(dimension, view(json(value))), expected, JSON.stringify(value));
    }
  });

  it("puts a missing, malformed, truncated or non-JSON body in the <missing> bucket", () => {
    assert.equal(dimensionValue(body("username"), view()), MISSING, "no body");
    assert.equal(dimensionValue(body("username"), view({ body: { contentType: "application/json", bytes: enc('{"username": "al'), truncated: false } })), MISSING);
    assert.equal(dimensionValue(body("username"), view(json({ username: "alice" }, true))), MISSING, "truncated");
    assert.equal(dimensionValue(body("username"), view({ body: { contentType: "text/plain", bytes: enc("username=alice"), truncated: false } })), MISSING);
    const form = { body: { contentType: "application/x-www-form-urlencoded", bytes: enc("username=Alice&username=bob"), truncated: false } };
    assert.equal(dimensionValue(body("username"), view(form)), "alice", "a form's first value counts");
  });

  it("counts IPv4-mapped IPv6 as its IPv4 address, IPv6 by /56, prefixes by /24 and /56", () => {
    const ip = (clientIp: string, kind: "ip" | "ip_prefix") => dimensionValue({ kind }, view({ clientIp }));
    assert.equal(ip("::ffff:198.51.100.7", "ip"), "198.51.100.7");
    assert.equal(ip("198.51.100.7", "ip"), "198.51.100.7");
    assert.equal(ip("::ffff:198.51.100.7", "ip_prefix"), "198.51.100.0/24");
    assert.equal(ip("2001:db8:1:2ff:aaaa::1", "ip"), "2001:db8:1:200::/56");
    assert.equal(ip("2001:db8:1:2ff:aaaa::1", "ip"), ip("2001:db8:1:200::9", "ip"), "one /56, one bucket");
    assert.notEqual(ip("2001:db8:1:2ff::1", "ip"), ip("2001:db8:1:300::1", "ip"));
    assert.equal(ip("2001:db8:1:2ff::1", "ip_prefix"), "2001:db8:1:200::/56");
    assert.equal(ip("not an ip", "ip"), MISSING);
  });

  it("reads identity, session cookie, route, headers and query; asn and country are <missing> until intel exists", () => {
    const v = view({ headers: { cookie: "a=1; sid=S3ss; sid=other", "x-client": "Mobile-App" }, query: "user=Bob&page_size=50" }, { keyId: "k_1", subject: "user-9" });
    assert.equal(dimensionValue({ kind: "key_id" }, v), "k_1");
    assert.equal(dimensionValue({ kind: "subject" }, v), "user-9");
    assert.equal(dimensionValue({ kind: "session" }, v), "S3ss");
    assert.equal(dimensionValue({ kind: "route" }, v), "login");
    assert.equal(dimensionValue({ kind: "global" }, v), "*");
    assert.equal(dimensionValue({ kind: "header", name: "x-client" }, v), "mobile-app");
    assert.equal(dimensionValue({ kind: "query", name: "user" }, v), "bob");
    assert.equal(dimensionValue({ kind: "asn" }, v), MISSING);
    assert.equal(dimensionValue({ kind: "country" }, v), MISSING);
    assert.equal(dimensionValue({ kind: "key_id" }, view()), MISSING, "no identity");
    assert.equal(dimensionValue({ kind: "session" }, view()), MISSING, "no cookie");
  });

  it("combines dimensions into one key no choice of values can forge", () => {
    const a = view({ query: "x=a|b&y=c" });
    const b = view({ query: "x=a&y=b|c" });
    const dims: LimitDimension[] = [{ kind: "query", name: "x" }, { kind: "query", name: "y" }];
    assert.notEqual(keyOf(dims, a), keyOf(dims, b));
    assert.equal(keyOf([{ kind: "ip" }, { kind: "route" }], view()), "203.0.113.7|login");
  });

  it("reads a cost from the query, capped, with the fallback for a missing or malformed value, never 0", () => {
    const cost = { kind: "field", source: "query", name: "page_size", max: 100, fallback: 20 } as const;
    assert.equal(costOf(cost, view({ query: "page_size=50" })), 50);
    assert.equal(costOf(cost, view({ query: "page_size=5000" })), 100);
    assert.equal(costOf(cost, view({ query: "page_size=-1" })), 20);
    assert.equal(costOf(cost, view({ query: "page_size=ten" })), 20);
    assert.equal(costOf(cost, view()), 20);
    assert.equal(costOf(cost, view({ query: "page_size=0" })), 1);
    assert.equal(costOf({ kind: "fixed", value: 3 }, view()), 3);
  });
});
