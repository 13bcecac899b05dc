/**
 * Two gateway processes sharing one Redis (127.0.0.1:6379, a key prefix of this run) admit
 * exactly the limit between them: 2 × 500 concurrent requests against a limit of 300.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Pool } from "undici";
import {
  deleteKeys, get, poolTo, spawnGateway, startCountingUpstream, uniquePrefix, waitUntilReady, type CountingUpstream, type GatewayProcess,
} from "../helpers/integration-gateways.ts";

describe("two gateways on one Redis", () => {
  const prefix = uniquePrefix("shared");
  let upstream: CountingUpstream;
  const gateways: GatewayProcess[] = [];
  const pools: Pool[] = [];

  before(async () => {
    upstream = await startCountingUpstream();
    const parts = {
      upstream: upstream.url,
      routes: `
  - path: /api/items/:id
    methods: [GET]
    upstream: api
    rate_limits:
      - { name: shared, algorithm: fixed_window, limit: 300, window: 1h, key: [global], on_store_error: closed }`,
      stores: `  limits: { driver: redis, host: 127.0.0.1, port: 6379, key_prefix: "${prefix}", timeout: 2s }`,
    };
    gateways.push(...await Promise.all([spawnGateway(parts), spawnGateway(parts)]));
    await Promise.all(gateways.map((gateway) => waitUntilReady(gateway)));
    pools.push(...gateways.map((gateway) => poolTo(gateway.url, 64)));
  });
  after(async () => {
    await Promise.all(pools.map((pool) => pool.destroy()));
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    await upstream?.close();
    await deleteKeys(prefix);
  });

  it("admits exactly 300 of 1000 concurrent requests spread over both, and answers 429 to the 700 others", async () => {
    const requests = Array.from({ length: 1000 }, (_, i) => get(pools[i % 2]!, `/api/items/${i}`, 10_000));
    const answers = await Promise.all(requests);
    const byStatus = new Map<number, number>();
    for (const answer of answers) byStatus.set(answer.status, (byStatus.get(answer.status) ?? 0) + 1);
    const summary = JSON.stringify([...byStatus]);
    assert.equal(byStatus.get(200), 300, summary);
    assert.equal(byStatus.get(429), 700, summary);
    const reached = [...upstream.hits.values()].reduce((a, b) => a + b, 0);
    assert.equal(reached, 300, "exactly the admitted requests reached the upstream");
    // Each gateway took part: the limit was shared, not one instance serving everything.
    const perGateway = [0, 1].map((g) => answers.filter((a, i) => i % 2 === g && a.status === 200).length);
    assert.ok(perGateway.every((n) => n > 0), `admitted per gateway: ${perGateway.join(", ")}`);
  });
});
