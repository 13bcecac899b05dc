/**
 * Memory and Redis answer identically: random sequences of admissions and after-response
 * accounting, on every kind, compared outcome by outcome (the Lua script mirrors the TypeScript);
 * and admissions sent together, which Redis answers in one batched call, answer as the same
 * admissions made one after another.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { Redis } from "ioredis";
import { isStoreUnavailable, type Admission, type AdmitResult, type LimitItem, type SettleOp } from "../../src/store/limits.ts";
import { createMemoryLimitStore } from "../../src/store/memory/limit-store.ts";
import { createRedisLimitStore } from "../../src/store/redis/limit-store.ts";
import { sampleSpecs, T0 } from "./limit-store-contract.ts";

const run = `t:${randomBytes(4).toString("hex")}:`;

after(async () => {
  const admin = new Redis({ lazyConnect: true });
  await admin.connect();
  const keys = await admin.keys(`${run}*`);
  if (keys.length > 0) await admin.del(...keys);
  admin.disconnect();
});

function ok(result: AdmitResult): Admission {
  assert.ok(!isStoreUnavailable(result), isStoreUnavailable(result) ? result.message : "");
  return result;
}

const specs = sampleSpecs();
/** 1 to 3 limit items on 2 keys per kind, costs 0 to 3, some charged later. */
const itemsArb = fc.array(fc.record({
  spec: fc.integer({ min: 0, max: specs.length - 1 }),
  key: fc.integer({ min: 0, max: 1 }),
  cost: fc.integer({ min: 0, max: 3 }),
  later: fc.boolean(),
}), { minLength: 1, maxLength: 3 });
type ArbItem = { spec: number; key: number; cost: number; later: boolean };
const limitItems = (items: readonly ArbItem[]): LimitItem[] => items.map((i) => ({
  key: `${specs[i.spec]!.kind}:${i.key}`, spec: specs[i.spec]!, cost: i.cost,
  ...(i.later ? { charge: "later" as const } : {}),
}));
const step = fc.oneof(
  fc.record({ type: fc.constant("admit" as const), gap: fc.integer({ min: 0, max: 400 }), items: itemsArb }),
  fc.record({
    type: fc.constant("settle" as const),
    gap: fc.integer({ min: 0, max: 400 }),
    op: fc.constantFrom("add", "release", "lower", "reset"),
    spec: fc.integer({ min: 0, max: specs.length - 1 }),
    key: fc.integer({ min: 0, max: 1 }),
    amount: fc.integer({ min: 0, max: 4 }),
    pick: fc.nat(),
  }),
);

const strip = (x: Admission) => ({ ...x, items: x.items.map(({ lease, ...rest }) => ({ ...rest, leased: lease !== undefined })) });

describe("memory and Redis stores agree", () => {
  it("property: same outcomes for random admissions and settlements on every kind", async () => {
    let n = 0;
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), async (steps) => {
      const memory = createMemoryLimitStore();
      const redis = createRedisLimitStore({ keyPrefix: `${run}${n++}:`, timeoutMs: 1000 });
      assert.equal(await redis.ready(5000), undefined);
      const leases: Array<[string, string, number]> = [];
      try {
        let now = T0 + 7;
        for (const s of steps) {
          now += s.gap;
          if (s.type === "admit") {
            const items = limitItems(s.items);
            const a = memory.admit("d", items, now);
            const b = ok(await redis.admit("d", items, now));
            assert.deepEqual(strip(b), strip(a));
            a.items.forEach((item, i) => {
              if (item.lease !== undefined) leases.push([item.lease, b.items[i]!.lease!, s.items[i]!.spec]);
            });
          } else {
            const spec = specs[s.spec]!;
            const key = `${spec.kind}:${s.key}`;
            let ops: [SettleOp, SettleOp];
            if (s.op === "release") {
              const lease = leases[s.pick % Math.max(1, leases.length)];
              if (lease === undefined) continue;
              const leaseSpec = specs[lease[2]]!;
              const leaseKey = `${leaseSpec.kind}:0`;
              ops = [{ op: "release", key: leaseKey, spec: leaseSpec, lease: lease[0] }, { op: "release", key: leaseKey, spec: leaseSpec, lease: lease[1] }];
              // Releases of both key variants: the lease may have been taken on key 1.
              memory.settle("d", [ops[0], { ...ops[0], key: `${leaseSpec.kind}:1` }], now);
              assert.equal(await redis.settle("d", [ops[1], { ...ops[1], key: `${leaseSpec.kind}:1` }], now), undefined);
              continue;
            }
            const op: SettleOp = s.op === "add" ? { op: "add", key, spec, cost: s.amount }
              : s.op === "lower" ? { op: "lower", key, spec, amount: s.amount } : { op: "reset", key };
            memory.settle("d", [op], now);
            assert.equal(await redis.settle("d", [op], now), undefined);
          }
        }
      } finally {
        await redis.close();
        await memory.close();
      }
    }), { numRuns: 60 });
  });

  it("property: admissions sent in one turn (one batched call) answer as if made one after another", async () => {
    let n = 0;
    const admission = fc.record({ gap: fc.integer({ min: 0, max: 50 }), items: itemsArb });
    await fc.assert(fc.asyncProperty(fc.array(admission, { minLength: 2, maxLength: 40 }), async (batch) => {
      const memory = createMemoryLimitStore();
      const redis = createRedisLimitStore({ keyPrefix: `${run}b${n++}:`, timeoutMs: 1000 });
      assert.equal(await redis.ready(5000), undefined);
      try {
        let now = T0 + 7;
        const sent = batch.map((a) => {
          now += a.gap;
          const items = limitItems(a.items);
          return { items, now, answer: redis.admit("d", items, now) };
        });
        for (const { items, now: at, answer } of sent) assert.deepEqual(strip(ok(await answer)), strip(memory.admit("d", items, at)));
      } finally {
        await redis.close();
        await memory.close();
      }
    }), { numRuns: 40 });
  });
});
