/**
 * Operator blocks reach every instance: a block set through the admin API of gateway A (Controls
 * on Redis, 127.0.0.1:6379, a key prefix of this run) is honored by gateway B within 1 s, and
 * its removal as well.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Pool } from "undici";
import {
  ADMIN_TOKEN, deleteKeys, get, poolTo, spawnGateway, startCountingUpstream, uniquePrefix, waitUntilReady, type CountingUpstream, type GatewayProcess,
} from "../helpers/integration-gateways.ts";

/** Polls `path` on `pool` until it answers `status`; resolves with the time it took, rejects after `timeoutMs`. */
async function untilStatus(pool: Pool, path: string, status: number, timeoutMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const answer = await get(pool, path, timeoutMs);
    const elapsed = performance.now() - started;
    if (answer.status === status) return elapsed;
    if (elapsed > timeoutMs) throw new Error(`still ${answer.status} after ${timeoutMs} ms (waiting for ${status})`);
    await new Promise((done) => setTimeout(done, 10));
  }
}

describe("a block set on one instance", () => {
  const prefix = uniquePrefix("blocks");
  let upstream: CountingUpstream;
  let a: GatewayProcess;
  let b: GatewayProcess;
  let poolB: Pool;

  before(async () => {
    upstream = await startCountingUpstream();
    const parts = {
      upstream: upstream.url,
      routes: `
  - path: /api/items/:id
    methods: [GET]
    upstream: api`,
      stores: `  controls: { driver: redis, host: 127.0.0.1, port: 6379, key_prefix: "${prefix}", timeout: 1s }`,
    };
    [a, b] = await Promise.all([spawnGateway(parts), spawnGateway(parts)]);
    await Promise.all([waitUntilReady(a), waitUntilReady(b)]);
    poolB = poolTo(b.url, 2);
  });
  after(async () => {
    await poolB?.destroy();
    await Promise.all([a?.stop(), b?.stop()]);
    await upstream?.close();
    await deleteKeys(prefix);
  });

  it("reports both stores in /readyz", async () => {
    const state = await b.readiness();
    assert.equal(state.status, 200);
    assert.equal(state.body.checks["store:controls"]?.ok, true, JSON.stringify(state.body));
    assert.match(state.body.checks["store:controls"]?.detail ?? "", /redis 127\.0\.0\.1:6379/);
    assert.deepEqual(state.body.checks["store:limits"], { ok: true, detail: "memory: reachable" });
  });

  it("is honored by the other instance within 1 s, and so is its removal", async () => {
    assert.equal((await get(poolB, "/api/items/1")).status, 200, "B serves the client before the block");
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };
    const added = await fetch(`${a.adminUrl}/blocks`, {
      method: "POST", headers, body: JSON.stringify({ kind: "ip", value: "127.0.0.1", ttl: "10m", reason: "integration test" }),
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(added.status, 201, await added.text());
    const blockedAfter = await untilStatus(poolB, "/api/items/2", 403, 1000);
    assert.ok(blockedAfter <= 1000, `B blocked after ${blockedAfter.toFixed(0)} ms`);

    const listed = await fetch(`${b.adminUrl}/blocks`, { headers, signal: AbortSignal.timeout(5000) });
    const { blocks } = await listed.json() as { blocks: Array<{ value: string; author: string }> };
    assert.deepEqual(blocks.map((block) => [block.value, block.author]), [["127.0.0.1", "ops"]]);

    const removed = await fetch(`${a.adminUrl}/blocks/ip/127.0.0.1`, { method: "DELETE", headers, signal: AbortSignal.timeout(5000) });
    assert.ok(removed.status === 200 || removed.status === 204, `DELETE answered ${removed.status}`);
    await untilStatus(poolB, "/api/items/3", 200, 1000);
  });
});
