/** Key normalization: one client, address or destination is one bucket however it is spelled; missing is its own bucket. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import ipaddr from "ipaddr.js";
import {
  compoundKey, ipBucket, MISSING, normalizeEmail, normalizePhone, normalizeText,
} from "../../src/limits/normalize.ts";

describe("key normalization", () => {
  it("buckets IPv6 by /56 and IPv4 by address; an IPv4-mapped address is its IPv4 address", () => {
    assert.equal(ipBucket("2001:db8:abcd:12ff:1:2:3:4"), "2001:db8:abcd:1200::/56");
    assert.equal(ipBucket("2001:DB8:ABCD:1234::99"), "2001:db8:abcd:1200::/56");
    assert.equal(ipBucket("203.0.113.9"), "203.0.113.9");
    assert.equal(ipBucket("::ffff:203.0.113.9"), "203.0.113.9");
    assert.equal(ipBucket("203.0.113.9", 24), "203.0.113.0/24");
    assert.equal(ipBucket("2001:db8::1", 32, 128), "2001:db8::1");
    assert.equal(ipBucket("not an ip"), MISSING);
  });

  it("folds e-mail spellings of one mailbox together", () => {
    assert.equal(normalizeEmail("  J.Doe+promo@GMail.com "), "jdoe@gmail.com");
    assert.equal(normalizeEmail("j.doe@googlemail.com"), "jdoe@gmail.com");
    assert.equal(normalizeEmail("J.Doe+x@example.org"), "j.doe@example.org", "dots matter outside Gmail");
    for (const bad of ["", "no-at-sign", "@example.org", "a@", "+tag@example.org", undefined, 42, { a: 1 }]) {
      assert.equal(normalizeEmail(bad), MISSING, String(bad));
    }
  });

  it("keeps digits only in phone numbers", () => {
    assert.equal(normalizePhone("+1 (555) 010-0100"), "15550100100");
    assert.equal(normalizePhone("１５５５０１０"), "1555010", "full-width digits are digits");
    assert.equal(normalizePhone("12"), MISSING);
    assert.equal(normalizePhone(null), MISSING);
  });

  it("folds case and whitespace, and bounds long values by a digest", () => {
    assert.equal(normalizeText("  Alice \t Smith "), "alice smith");
    assert.equal(normalizeText(""), MISSING);
    const long = normalizeText("x".repeat(10_000));
    assert.ok(long.startsWith("#") && long.length < 64);
    assert.notEqual(long, normalizeText(`${"x".repeat(9_999)}y`));
  });

  it("joins dimensions so that no two tuples share a key", () => {
    assert.notEqual(compoundKey(["a|b", "c"]), compoundKey(["a", "b|c"]));
    assert.notEqual(compoundKey(["a%7Cb"]), compoundKey(["a|b"]));
    assert.equal(compoundKey(["203.0.113.9", "/login"]), "203.0.113.9|/login");
  });
});

/** The reference: ipaddr.js parses, the bytes are masked, ipaddr.js formats (RFC 5952 for IPv6). */
function modelBucket(ip: string, v4Prefix: number, v6Prefix: number): string {
  if (!ipaddr.isValid(ip)) return MISSING;
  const address = ipaddr.process(ip);
  const bits = address.kind() === "ipv4" ? v4Prefix : v6Prefix;
  const bytes = address.toByteArray();
  for (let i = 0; i < bytes.length; i++) bytes[i] = bytes[i]! & ((0xff << (8 - Math.max(0, Math.min(8, bits - i * 8)))) & 0xff);
  const masked = ipaddr.fromByteArray(bytes);
  const text = masked.kind() === "ipv6" ? (masked as ipaddr.IPv6).toRFC5952String() : masked.toString();
  return bits >= bytes.length * 8 ? text : `${text}/${bits}`;
}

describe("ipBucket against ipaddr.js", () => {
  it("gives the same bucket as parsing, masking and formatting with ipaddr.js, for any address and prefix", () => {
    const v4 = fc.ipV4();
    const v6 = fc.oneof(fc.ipV6(), fc.ipV4().map((ip) => `::ffff:${ip}`));
    fc.assert(
      fc.property(fc.oneof(v4, v6, fc.string({ maxLength: 40 })), fc.integer({ min: 1, max: 32 }), fc.integer({ min: 1, max: 128 }), (ip, p4, p6) => {
        assert.equal(ipBucket(ip, p4, p6), modelBucket(ip, p4, p6), ip);
      }),
      { numRuns: 3000 },
    );
  });
});
