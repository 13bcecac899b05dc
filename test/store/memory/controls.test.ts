/** Memory Controls: the shared contract, plus the size bound and the hot-path properties. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NewBlock } from "../../../src/engine/index.ts";
import { createMemoryControls, normalizeBlockValue } from "../../../src/store/memory/controls.ts";
import { runControlsContract } from "../controls-contract.ts";

function fixture(maxEntries?: number) {
  let time = 1_700_000_000_000;
  const now = () => time;
  const controls = createMemoryControls(maxEntries === undefined ? { now } : { now, maxEntries });
  return { controls, now, advance: (ms: number) => void (time += ms) };
}

const ipBlock = (value: string, ttlMs?: number): NewBlock => ({
  kind: "ip",
  value,
  reason: "test",
  author: "alice",
  source: "penalty",
  ...(ttlMs === undefined ? {} : { ttlMs }),
});

runControlsContract("memory", () => fixture());

describe("memory Controls", () => {
  it("evicts the oldest block when full", async () => {
    const { controls, now, advance } = fixture(3);
    for (const ip of ["1.0.0.1", "1.0.0.2", "1.0.0.3", "1.0.0.4"]) {
      await controls.addBlock(ipBlock(ip));
      advance(1);
    }
    assert.deepEqual(controls.listBlocks(now()).map((b) => b.value), ["1.0.0.2", "1.0.0.3", "1.0.0.4"]);
    assert.equal(controls.findBlock({ ip: "1.0.0.1" }, now()), undefined);
  });

  it("evicts expired blocks before the oldest live one", async () => {
    const { controls, now, advance } = fixture(3);
    await controls.addBlock(ipBlock("1.0.0.1"));
    await controls.addBlock(ipBlock("1.0.0.2", 100));
    await controls.addBlock(ipBlock("1.0.0.3", 100));
    advance(100);
    await controls.addBlock(ipBlock("1.0.0.4"));
    await controls.addBlock(ipBlock("1.0.0.5"));
    assert.deepEqual(controls.listBlocks(now()).map((b) => b.value), ["1.0.0.1", "1.0.0.4", "1.0.0.5"]);
    await controls.addBlock(ipBlock("1.0.0.6"));
    assert.deepEqual(controls.listBlocks(now()).map((b) => b.value), ["1.0.0.4", "1.0.0.5", "1.0.0.6"]);
  });

  it("keeps prefix matching right through eviction and removal (set rebuilt on change)", async () => {
    const { controls, now } = fixture(2);
    await controls.addBlock({ ...ipBlock("10.0.0.0/8"), kind: "prefix" });
    await controls.addBlock({ ...ipBlock("192.168.0.0/16"), kind: "prefix" });
    await controls.addBlock({ ...ipBlock("172.16.0.0/12"), kind: "prefix" });
    assert.equal(controls.findBlock({ ip: "10.1.1.1" }, now()), undefined);
    assert.equal(controls.findBlock({ ip: "192.168.1.1" }, now())?.value, "192.168.0.0/16");
    assert.equal(controls.findBlock({ ip: "172.16.1.1" }, now())?.value, "172.16.0.0/12");
  });

  it("names the block for every prefix length in use, including an IPv6 block that holds IPv4", async () => {
    const { controls, now } = fixture();
    const prefix = (value: string): NewBlock => ({ ...ipBlock(value), kind: "prefix", reason: value });
    for (const value of ["10.0.0.0/8", "10.1.0.0/16", "2001:db8::/32", "2001:db8:1::/48"]) await controls.addBlock(prefix(value));
    assert.equal(controls.findBlock({ ip: "10.2.0.1" }, now())?.reason, "10.0.0.0/8");
    assert.ok(["10.0.0.0/8", "10.1.0.0/16"].includes(controls.findBlock({ ip: "10.1.0.1" }, now())?.reason ?? ""));
    assert.ok(["2001:db8::/32", "2001:db8:1::/48"].includes(controls.findBlock({ ip: "2001:db8:1::9" }, now())?.reason ?? ""));
    assert.equal(controls.findBlock({ ip: "192.0.2.1" }, now()), undefined);
    await controls.addBlock(prefix("::/0"));
    assert.equal(controls.findBlock({ ip: "192.0.2.1" }, now())?.reason, "::/0");
  });

  it("answers synchronously", async () => {
    const { controls, now } = fixture();
    await controls.addBlock(ipBlock("1.2.3.4"));
    const result: object | undefined = controls.findBlock({ ip: "1.2.3.4" }, now());
    assert.equal(result instanceof Promise, false);
    assert.equal((result as { value?: string } | undefined)?.value, "1.2.3.4");
  });

  it("refuses a bound that is not a positive integer", () => {
    assert.throws(() => createMemoryControls({ maxEntries: 0 }), RangeError);
  });

  it("an empty store answers a million lookups quickly (hot path)", () => {
    const { controls, now } = fixture();
    const query = { ip: "203.0.113.7", asn: 64500, country: "DE", keyId: "k" };
    const started = performance.now();
    for (let i = 0; i < 1_000_000; i++) controls.findBlock(query, now());
    // Generous bound (≈ 1 µs per lookup) so a loaded CI machine does not flake; a per-request parse would exceed it.
    assert.ok(performance.now() - started < 1000);
  });
});

describe("normalizeBlockValue", () => {
  it("normalizes each kind and rejects bad values", () => {
    assert.equal(normalizeBlockValue("ip", " ::FFFF:1.2.3.4 "), "1.2.3.4");
    assert.equal(normalizeBlockValue("prefix", "1.2.3.4"), "1.2.3.4/32");
    assert.equal(normalizeBlockValue("prefix", "::ffff:10.0.0.0/104"), "10.0.0.0/8");
    assert.equal(normalizeBlockValue("asn", "As13335"), "AS13335");
    assert.equal(normalizeBlockValue("asn", "99999999999"), undefined);
    assert.equal(normalizeBlockValue("country", "d1"), undefined);
    assert.equal(normalizeBlockValue("key", "key_abc"), "key_abc");
  });
});
