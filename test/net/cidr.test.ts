/** CIDR sets: examples, and a property test against a naive model built on ipaddr.js `match`. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import ipaddr from "ipaddr.js";
import { InvalidCidrError, parseCidrSet } from "../../src/net/cidr.ts";
import { canonicalIp, isIp } from "../../src/net/ip.ts";

/** The naive model: parse everything with ipaddr.js per lookup, IPv4 compared in IPv4-mapped IPv6 space. */
function modelHas(entries: readonly string[], ip: string): boolean {
  if (!ipaddr.isValid(ip)) return false;
  let query = ipaddr.parse(ip);
  if (query.kind() === "ipv6" && (query as ipaddr.IPv6).isIPv4MappedAddress()) query = (query as ipaddr.IPv6).toIPv4Address();
  for (const entry of entries) {
    let [network, prefix] = entry.includes("/") ? ipaddr.parseCIDR(entry) : [ipaddr.parse(entry), entry.includes(":") ? 128 : 32];
    if (network.kind() === "ipv6" && (network as ipaddr.IPv6).isIPv4MappedAddress() && prefix >= 96) {
      network = (network as ipaddr.IPv6).toIPv4Address();
      prefix -= 96;
    }
    if (query.kind() === network.kind()) {
      if (query.match(network, prefix)) return true;
    } else if (query.kind() === "ipv4" && (query as ipaddr.IPv4).toIPv4MappedAddress().match(network, prefix)) {
      return true;
    }
  }
  return false;
}

// A small address space so that generated queries often fall inside generated blocks.
const nearV4 = fc.tuple(fc.constantFrom(10, 192), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 }))
  .map((octets) => octets.join("."));
const nearV6 = fc.tuple(fc.constantFrom("2001:db8", "fe80:0"), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 0xffff }))
  .map(([head, a, b]) => `${head}:${a.toString(16)}::${b.toString(16)}`);
const anyV4 = fc.oneof(nearV4, fc.ipV4());
const anyV6 = fc.oneof(nearV6, fc.ipV6());
const mapped = anyV4.map((v4) => `::ffff:${v4}`);
const entry = fc.oneof(
  anyV4,
  fc.tuple(anyV4, fc.integer({ min: 0, max: 32 })).map(([a, p]) => `${a}/${p}`),
  anyV6,
  fc.tuple(anyV6, fc.integer({ min: 0, max: 128 })).map(([a, p]) => `${a}/${p}`),
  fc.tuple(mapped, fc.integer({ min: 80, max: 128 })).map(([a, p]) => `${a}/${p}`),
);
const query = fc.oneof(anyV4, anyV6, mapped);

describe("parseCidrSet", () => {
  it("matches IPv4 and IPv6 addresses and blocks", () => {
    const set = parseCidrSet(["10.0.0.0/8", "192.168.1.1", "2001:db8::/32", "fe80::1"]);
    assert.equal(set.size, 4);
    assert.equal(set.has("10.200.3.4"), true);
    assert.equal(set.has("11.0.0.1"), false);
    assert.equal(set.has("192.168.1.1"), true);
    assert.equal(set.has("192.168.1.2"), false);
    assert.equal(set.has("2001:db8:ffff::1"), true);
    assert.equal(set.has("2001:DB8::1"), true);
    assert.equal(set.has("2001:db9::1"), false);
    assert.equal(set.has("fe80::1"), true);
    assert.equal(set.has("fe80::2"), false);
  });

  it("treats an IPv4-mapped IPv6 address as its IPv4 address, both ways", () => {
    const set = parseCidrSet(["10.0.0.0/8", "::ffff:172.16.0.0/108"]);
    assert.equal(set.has("::ffff:10.1.2.3"), true);
    assert.equal(set.has("::ffff:a01:203"), true);
    assert.equal(set.has("172.16.9.9"), true);
    assert.equal(set.has("172.32.0.1"), false);
  });

  it("ignores host bits after the prefix", () => {
    assert.equal(parseCidrSet(["10.9.9.9/8"]).has("10.0.0.1"), true);
  });

  it("a v6 block containing all of ::ffff:0:0/96 contains IPv4 too", () => {
    assert.equal(parseCidrSet(["::/0"]).has("1.2.3.4"), true);
    assert.equal(parseCidrSet(["2001:db8::/32"]).has("1.2.3.4"), false);
    assert.equal(parseCidrSet(["0.0.0.0/0"]).has("2001:db8::1"), false);
  });

  it("answers false, never throws, for anything that is not an address", () => {
    const set = parseCidrSet(["0.0.0.0/0", "::/0"]);
    for (const bad of ["", "garbage", "10.1", "010.0.0.1", "1.2.3.4:80", "[::1]", "1.2.3.4.5", "256.0.0.1", ":::", "1:2:3:4:5:6:7:8:9", "::1::", "%eth0", "1.2.3.4 "]) {
      assert.equal(set.has(bad), false, bad);
    }
    assert.equal(set.has(undefined as unknown as string), false);
    fc.assert(fc.property(fc.string(), (text) => set.has(text) === isIp(text)));
  });

  it("throws InvalidCidrError naming the index and entry", () => {
    for (const bad of ["10.1/8", "1.2.3.4/33", "::/129", "1.2.3.4/", "nope", "0x7f.0.0.1", "fe80::1%eth0", "1.2.3.4/8/8", "1.2.3.4/-1"]) {
      assert.throws(() => parseCidrSet(["127.0.0.1", bad]), (error: unknown) => {
        assert.ok(error instanceof InvalidCidrError);
        assert.equal(error.index, 1);
        assert.equal(error.entry, bad);
        assert.match(error.message, /not an IP address or CIDR block/);
        return true;
      });
    }
  });

  it("agrees with the naive ipaddr.js model (property)", () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 12 }), fc.array(query, { minLength: 1, maxLength: 10 }), (entries, queries) => {
        const set = parseCidrSet(entries);
        for (const ip of queries) assert.equal(set.has(ip), modelHas(entries, ip), `${ip} in [${entries.join(", ")}]`);
      }),
      { numRuns: 2000 },
    );
  });

  it("queries near the entries hit as the model says (property)", () => {
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 6 }), fc.nat(), (entries, pick) => {
        const base = (entries[pick % entries.length] as string).split("/")[0] as string;
        const set = parseCidrSet(entries);
        assert.equal(set.has(base), modelHas(entries, base));
        assert.equal(set.has(base), true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("canonicalIp", () => {
  it("unwraps IPv4-mapped IPv6 and lower-cases and compresses IPv6", () => {
    assert.equal(canonicalIp("1.2.3.4"), "1.2.3.4");
    assert.equal(canonicalIp("::ffff:1.2.3.4"), "1.2.3.4");
    assert.equal(canonicalIp("::FFFF:0102:0304"), "1.2.3.4");
    assert.equal(canonicalIp("2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
    assert.equal(canonicalIp("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
    assert.equal(canonicalIp("::"), "::");
    assert.equal(canonicalIp("fe80::1%eth0"), "fe80::1");
    assert.equal(canonicalIp("nope"), undefined);
  });

  it("agrees with ipaddr.js RFC 5952 form (property)", () => {
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        const parsed = ipaddr.IPv6.parse(ip);
        const expected = parsed.isIPv4MappedAddress() ? parsed.toIPv4Address().toString() : parsed.toRFC5952String();
        assert.equal(canonicalIp(ip), expected);
      }),
      { numRuns: 2000 },
    );
  });
});
