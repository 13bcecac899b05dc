/** The behavior every Controls implementation must show; memory runs it now, drivers later. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Controls, NewBlock } from "../../src/engine/index.ts";

export interface ControlsFixture {
  readonly controls: Controls;
  /** Moves the injected clock forward. */
  advance(ms: number): void;
  now(): number;
  close?(): Promise<void>;
  /**
   * Another instance on the same shared store (a second gateway), with its own local replica
   * and the same clock. Only stores that share blocks across instances provide it.
   */
  peer?(): Promise<{ readonly controls: Controls; close(): Promise<void> }>;
}

/** How long a change may take to reach another instance (issue 4: "within 1 s"). */
export const PROPAGATION_BOUND_MS = 1000;

/** Polls `check` every 5 ms; returns the ms it took, or fails after `boundMs`. */
async function within(boundMs: number, what: string, check: () => boolean): Promise<number> {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > boundMs) assert.fail(`${what}: not seen within ${boundMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return performance.now() - started;
}

const block = (over: Partial<NewBlock> & Pick<NewBlock, "kind" | "value">): NewBlock => ({
  reason: "test",
  author: "alice",
  source: "operator",
  ...over,
});

/**
 * Registers the shared Controls tests; `create` gives a fresh, empty store with an injected
 * clock. With `shared: true` the fixture must offer `peer()`, and the cross-instance tests run too.
 */
export function runControlsContract(name: string, create: () => Promise<ControlsFixture> | ControlsFixture, options: { shared?: boolean } = {}): void {
  describe(`Controls contract: ${name}`, () => {
    async function withFixture(body: (fixture: ControlsFixture) => Promise<void>): Promise<void> {
      const fixture = await create();
      try {
        await body(fixture);
      } finally {
        await fixture.close?.();
      }
    }

    it("finds nothing when empty", () =>
      withFixture(async ({ controls, now }) => {
        assert.equal(controls.findBlock({ ip: "1.2.3.4", asn: 1, country: "DE", keyId: "k" }, now()), undefined);
        assert.deepEqual(controls.listBlocks(now()), []);
      }));

    it("blocks by ip, prefix, asn, country and key, with reason and author", () =>
      withFixture(async ({ controls, now }) => {
        const added = await controls.addBlock(block({ kind: "ip", value: "203.0.113.7", reason: "stuffing", author: "bob" }));
        assert.equal(added.value, "203.0.113.7");
        assert.equal(added.createdAt, now());
        assert.equal(added.expiresAt, undefined);
        await controls.addBlock(block({ kind: "prefix", value: "198.51.100.0/24" }));
        await controls.addBlock(block({ kind: "asn", value: "AS64500" }));
        await controls.addBlock(block({ kind: "country", value: "zz" }));
        await controls.addBlock(block({ kind: "key", value: "key_1" }));
        const found = controls.findBlock({ ip: "203.0.113.7" }, now());
        assert.equal(found?.reason, "stuffing");
        assert.equal(found?.author, "bob");
        assert.equal(controls.findBlock({ ip: "198.51.100.200" }, now())?.kind, "prefix");
        assert.equal(controls.findBlock({ ip: "1.1.1.1", asn: 64500 }, now())?.kind, "asn");
        assert.equal(controls.findBlock({ ip: "1.1.1.1", country: "ZZ" }, now())?.kind, "country");
        assert.equal(controls.findBlock({ ip: "1.1.1.1", keyId: "key_1" }, now())?.kind, "key");
        assert.equal(controls.findBlock({ ip: "1.1.1.1", asn: 64501, country: "DE", keyId: "key_2" }, now()), undefined);
        assert.equal(controls.listBlocks(now()).length, 5);
      }));

    it("normalizes values: IPv4-mapped, IPv6 case, country case, AS spelling, prefix host bits", () =>
      withFixture(async ({ controls, now }) => {
        assert.equal((await controls.addBlock(block({ kind: "ip", value: "::ffff:203.0.113.7" }))).value, "203.0.113.7");
        assert.equal((await controls.addBlock(block({ kind: "ip", value: "2001:DB8:0:0::1" }))).value, "2001:db8::1");
        assert.equal((await controls.addBlock(block({ kind: "country", value: "de" }))).value, "DE");
        assert.equal((await controls.addBlock(block({ kind: "asn", value: "123" }))).value, "AS123");
        assert.equal((await controls.addBlock(block({ kind: "asn", value: "as123" }))).value, "AS123");
        assert.equal((await controls.addBlock(block({ kind: "prefix", value: "10.1.2.3/8" }))).value, "10.0.0.0/8");
        assert.equal((await controls.addBlock(block({ kind: "prefix", value: "2001:DB8:AA::/48" }))).value, "2001:db8:aa::/48");
        // `AS123` and `123` are one block: the second replaced the first.
        assert.equal(controls.listBlocks(now()).filter((b) => b.kind === "asn").length, 1);
        assert.equal(controls.findBlock({ ip: "::ffff:203.0.113.7" }, now())?.value, "203.0.113.7");
        assert.equal(controls.findBlock({ ip: "2001:db8::1" }, now())?.value, "2001:db8::1");
        assert.equal(controls.findBlock({ ip: "10.200.0.1" }, now())?.value, "10.0.0.0/8");
        assert.equal(controls.findBlock({ ip: "2001:db8:aa:1::9" }, now())?.value, "2001:db8:aa::/48");
        assert.equal(controls.findBlock({ ip: "1.1.1.1", country: "de" }, now())?.value, "DE");
      }));

    it("rejects values that are not valid for their kind", () =>
      withFixture(async ({ controls, now }) => {
        for (const bad of [block({ kind: "ip", value: "10.1" }), block({ kind: "prefix", value: "10.0.0.0/33" }), block({ kind: "asn", value: "ASX" }),
          block({ kind: "country", value: "DEU" }), block({ kind: "key", value: " " }), block({ kind: "ip", value: "1.2.3.4", ttlMs: 0 })]) {
          await assert.rejects(controls.addBlock(bad), /not a valid|ttlMs/);
        }
        assert.deepEqual(controls.listBlocks(now()), []);
      }));

    it("expires blocks by the clock", () =>
      withFixture(async ({ controls, advance, now }) => {
        const added = await controls.addBlock(block({ kind: "ip", value: "203.0.113.7", ttlMs: 1000 }));
        await controls.addBlock(block({ kind: "prefix", value: "198.51.100.0/24", ttlMs: 1000 }));
        assert.equal(added.expiresAt, now() + 1000);
        advance(999);
        assert.ok(controls.findBlock({ ip: "203.0.113.7" }, now()));
        assert.ok(controls.findBlock({ ip: "198.51.100.1" }, now()));
        advance(1);
        assert.equal(controls.findBlock({ ip: "203.0.113.7" }, now()), undefined);
        assert.equal(controls.findBlock({ ip: "198.51.100.1" }, now()), undefined);
        assert.deepEqual(controls.listBlocks(now()), []);
      }));

    it("removes blocks, by any spelling of the value", () =>
      withFixture(async ({ controls, now }) => {
        await controls.addBlock(block({ kind: "prefix", value: "198.51.100.0/24" }));
        await controls.addBlock(block({ kind: "asn", value: "AS64500" }));
        assert.equal(await controls.removeBlock("prefix", "198.51.100.9/24", "alice"), true);
        assert.equal(await controls.removeBlock("asn", "64500", "alice"), true);
        assert.equal(await controls.removeBlock("asn", "64500", "alice"), false);
        assert.equal(await controls.removeBlock("ip", "not an ip", "alice"), false);
        assert.equal(controls.findBlock({ ip: "198.51.100.1", asn: 64500 }, now()), undefined);
      }));

    it("replacing a block updates its reason and TTL", () =>
      withFixture(async ({ controls, advance, now }) => {
        await controls.addBlock(block({ kind: "ip", value: "203.0.113.7", ttlMs: 1000, reason: "first" }));
        await controls.addBlock(block({ kind: "ip", value: "203.0.113.7", reason: "second" }));
        advance(5000);
        assert.equal(controls.findBlock({ ip: "203.0.113.7" }, now())?.reason, "second");
        assert.equal(controls.listBlocks(now()).length, 1);
      }));
  
    if (options.shared === true) {
      async function withPeer(body: (fixture: ControlsFixture, peer: Controls) => Promise<void>): Promise<void> {
        await withFixture(async (fixture) => {
          assert.ok(fixture.peer, "a shared store's fixture must offer peer()");
          const peer = await fixture.peer();
          try {
            await body(fixture, peer.controls);
          } finally {
            await peer.close();
          }
        });
      }

      it(`a block added on one instance is honored by another within ${PROPAGATION_BOUND_MS} ms, and so is its removal`, () =>
        withPeer(async ({ controls, now }, peer) => {
          await controls.addBlock(block({ kind: "ip", value: "203.0.113.7", reason: "stuffing", author: "bob", ttlMs: 60_000 }));
          await controls.addBlock(block({ kind: "prefix", value: "198.51.100.0/24" }));
          await within(PROPAGATION_BOUND_MS, "ip block on the peer", () => peer.findBlock({ ip: "203.0.113.7" }, now()) !== undefined);
          await within(PROPAGATION_BOUND_MS, "prefix block on the peer", () => peer.findBlock({ ip: "198.51.100.9" }, now()) !== undefined);
          const seen = peer.findBlock({ ip: "203.0.113.7" }, now());
          assert.equal(seen?.author, "bob");
          assert.equal(seen?.reason, "stuffing");
          assert.equal(seen?.expiresAt, now() + 60_000, "the peer keeps the exact expiry, not its own");
          assert.equal(await peer.removeBlock("ip", "203.0.113.7", "carol"), true);
          await within(PROPAGATION_BOUND_MS, "removal on the first instance", () => controls.findBlock({ ip: "203.0.113.7" }, now()) === undefined);
          assert.equal(controls.listBlocks(now()).length, 1);
        }));

      it("an instance that starts later loads the blocks already set, without their expired ones", () =>
        withFixture(async (fixture) => {
          const { controls, advance, now } = fixture;
          await controls.addBlock(block({ kind: "asn", value: "AS64500" }));
          await controls.addBlock(block({ kind: "ip", value: "192.0.2.1", ttlMs: 1000 }));
          advance(1000);
          assert.ok(fixture.peer, "a shared store's fixture must offer peer()");
          const late = await fixture.peer();
          try {
            assert.equal(late.controls.findBlock({ ip: "1.1.1.1", asn: 64500 }, now())?.value, "AS64500");
            assert.equal(late.controls.findBlock({ ip: "192.0.2.1" }, now()), undefined);
            assert.deepEqual(late.controls.listBlocks(now()).map((b) => b.value), ["AS64500"]);
          } finally {
            await late.close();
          }
        }));

      it("a block replaced on one instance carries its new reason and TTL to the other", () =>
        withPeer(async ({ controls, advance, now }, peer) => {
          await controls.addBlock(block({ kind: "key", value: "key_9", ttlMs: 1000, reason: "first" }));
          await within(PROPAGATION_BOUND_MS, "first version on the peer", () => peer.findBlock({ ip: "1.1.1.1", keyId: "key_9" }, now())?.reason === "first");
          await peer.addBlock(block({ kind: "key", value: "key_9", reason: "second" }));
          await within(PROPAGATION_BOUND_MS, "second version back on the first instance", () => controls.findBlock({ ip: "1.1.1.1", keyId: "key_9" }, now())?.reason === "second");
          advance(5000);
          assert.equal(controls.findBlock({ ip: "1.1.1.1", keyId: "key_9" }, now())?.reason, "second");
          assert.equal(peer.findBlock({ ip: "1.1.1.1", keyId: "key_9" }, now())?.reason, "second");
        }));
    }
  });
}
