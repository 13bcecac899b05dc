import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { normalizeBlockValue, parseNewBlock, parseTtl } from "../../src/monitor/block-input.ts";

describe("block input", () => {
  it("normalizes values to the one spelling Controls matches on", () => {
    const cases: [Parameters<typeof normalizeBlockValue>[0], string, string][] = [
      ["ip", " 203.0.113.7 ", "203.0.113.7"],
      ["ip", "2001:DB8:0:0::1", "2001:db8::1"],
      ["ip", "::ffff:192.0.2.1", "192.0.2.1"],
      ["prefix", "203.0.113.77/24", "203.0.113.0/24"],
      ["prefix", "2001:db8:aa:bb::1/48", "2001:db8:aa::/48"],
      ["prefix", "::ffff:10.1.0.0/104", "10.0.0.0/8"],
      ["asn", "as13335", "AS13335"],
      ["asn", "64512", "AS64512"],
      ["country", "de", "DE"],
      ["key", "key_abc", "key_abc"],
    ];
    for (const [kind, raw, expected] of cases) assert.deepEqual(normalizeBlockValue(kind, raw), { ok: true, value: expected }, `${kind} ${raw}`);
  });

  it("refuses values that would block a surprise or nothing", () => {
    const cases: [Parameters<typeof normalizeBlockValue>[0], string][] = [
      ["ip", "10.1"],
      ["ip", "0x7f.0.0.1"],
      ["ip", ""],
      ["prefix", "10.0.0.0/33"],
      ["prefix", "10.0.0.0/abc"],
      ["asn", "AS0"],
      ["asn", "cloudflare"],
      ["country", "DEU"],
      ["key", "k".repeat(300)],
    ];
    for (const [kind, raw] of cases) {
      const result = normalizeBlockValue(kind, raw);
      assert.equal(result.ok, false, `${kind} ${raw}`);
      if (!result.ok) assert.match(result.detail, /^value: /);
    }
  });

  it("reads ttl as seconds or a duration string, within 1 s and 366 days", () => {
    assert.deepEqual(parseTtl(3600), { ok: true, value: 3_600_000 });
    assert.deepEqual(parseTtl("3600"), { ok: true, value: 3_600_000 });
    assert.deepEqual(parseTtl("1h"), { ok: true, value: 3_600_000 });
    assert.deepEqual(parseTtl("15m"), { ok: true, value: 900_000 });
    assert.deepEqual(parseTtl("7d"), { ok: true, value: 604_800_000 });
    assert.deepEqual(parseTtl("1500ms"), { ok: true, value: 1500 });
    for (const bad of ["0s", "500ms", "400d", -5, "1 week", null, true]) assert.equal(parseTtl(bad).ok, false, String(bad));
  });

  it("takes the author from the authenticated operator, never from the body", () => {
    const parsed = parseNewBlock({ kind: "country", value: "fr", reason: "fraud wave" }, "alice");
    assert.deepEqual(parsed, { ok: true, value: { kind: "country", value: "FR", reason: "fraud wave", author: "alice", source: "operator" } });
    const forged = parseNewBlock({ kind: "country", value: "fr", author: "bob" }, "alice");
    assert.equal(forged.ok, false);
  });
});
