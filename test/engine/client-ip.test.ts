/** Client address through trusted proxies, and the X-Forwarded-For chain sent upstream. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deriveClientIp, forwardedForChain, normalizeIp } from "../../src/engine/client-ip.ts";
import { parseCidrSet } from "../../src/net/cidr.ts";

const proxies = parseCidrSet(["10.0.0.0/8", "fd00::/8"]);

describe("deriveClientIp", () => {
  it("is the peer when no proxy is trusted, whatever the header says", () => {
    assert.equal(deriveClientIp("203.0.113.7", "1.1.1.1", undefined), "203.0.113.7");
    assert.equal(deriveClientIp("::ffff:203.0.113.7", undefined, undefined), "203.0.113.7");
  });

  it("does not believe X-Forwarded-For from an untrusted client (spoofing)", () => {
    // The attacker connects directly and claims to be an allow-listed or trusted address.
    assert.equal(deriveClientIp("198.51.100.9", "10.0.0.1, 127.0.0.1", proxies), "198.51.100.9");
    assert.equal(deriveClientIp("198.51.100.9", ["1.2.3.4", "10.1.1.1"], proxies), "198.51.100.9");
  });

  it("believes a trusted proxy: the rightmost untrusted hop is the client", () => {
    assert.equal(deriveClientIp("10.0.0.2", "198.51.100.9", proxies), "198.51.100.9");
    // The client prepended a forged hop; our proxy appended the real address on the right.
    assert.equal(deriveClientIp("10.0.0.2", "6.6.6.6, 198.51.100.9", proxies), "198.51.100.9");
    assert.equal(deriveClientIp("10.0.0.2", "6.6.6.6, 198.51.100.9, 10.0.0.5, 10.9.9.9", proxies), "198.51.100.9");
  });

  it("reads every header instance as one list, the last instance rightmost", () => {
    assert.equal(deriveClientIp("10.0.0.2", ["6.6.6.6", "198.51.100.9, 10.0.0.5"], proxies), "198.51.100.9");
    assert.equal(deriveClientIp("10.0.0.2", ["198.51.100.9", "10.0.0.5"], proxies), "198.51.100.9");
    assert.equal(deriveClientIp("10.0.0.2", ["198.51.100.9", ""], proxies), "198.51.100.9");
  });

  it("stops at a malformed entry: the proxy that appended it is the client", () => {
    assert.equal(deriveClientIp("10.0.0.2", "6.6.6.6, garbage", proxies), "10.0.0.2");
    assert.equal(deriveClientIp("10.0.0.2", "6.6.6.6, not-an-ip, 10.0.0.7", proxies), "10.0.0.7");
    assert.equal(deriveClientIp("10.0.0.2", "6.6.6.6, 198.51.100.9:4711", proxies), "10.0.0.2");
    assert.equal(deriveClientIp("10.0.0.2", "unknown", proxies), "10.0.0.2");
  });

  it("is the leftmost hop when every hop is trusted, and the peer when the header is empty", () => {
    assert.equal(deriveClientIp("10.0.0.2", "10.0.0.3, 10.0.0.4", proxies), "10.0.0.3");
    assert.equal(deriveClientIp("10.0.0.2", "", proxies), "10.0.0.2");
    assert.equal(deriveClientIp("10.0.0.2", " , ", proxies), "10.0.0.2");
    assert.equal(deriveClientIp("10.0.0.2", undefined, proxies), "10.0.0.2");
  });

  it("normalizes addresses: IPv4-mapped peers and hops, IPv6 case", () => {
    assert.equal(deriveClientIp("::ffff:10.0.0.2", "::ffff:198.51.100.9", proxies), "198.51.100.9");
    assert.equal(deriveClientIp("FD00::1", "2001:DB8:0:0::1", proxies), "2001:db8::1");
  });
});

describe("forwardedForChain", () => {
  it("replaces a header from an untrusted peer by the peer alone", () => {
    assert.equal(forwardedForChain("198.51.100.9", "10.0.0.1", proxies), "198.51.100.9");
    assert.equal(forwardedForChain("198.51.100.9", undefined, proxies), "198.51.100.9");
    assert.equal(forwardedForChain("::ffff:198.51.100.9", "1.1.1.1", undefined), "198.51.100.9");
  });

  it("appends a trusted peer to the received chain", () => {
    assert.equal(forwardedForChain("10.0.0.2", "198.51.100.9", proxies), "198.51.100.9, 10.0.0.2");
    assert.equal(forwardedForChain("10.0.0.2", ["6.6.6.6", "198.51.100.9, 10.0.0.5"], proxies), "6.6.6.6, 198.51.100.9, 10.0.0.5, 10.0.0.2");
    assert.equal(forwardedForChain("10.0.0.2", [""], proxies), "10.0.0.2");
  });
});

describe("normalizeIp", () => {
  it("unwraps IPv4-mapped IPv6 and leaves non-addresses unchanged", () => {
    assert.equal(normalizeIp("::ffff:1.2.3.4"), "1.2.3.4");
    assert.equal(normalizeIp("::1"), "::1");
    assert.equal(normalizeIp("weird"), "weird");
  });
});
