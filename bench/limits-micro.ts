/**
 * Micro benchmark of limit admission: ops/s of a 1-limit and a 3-limit admission on the memory
 * store (each algorithm) and on Redis (one EVALSHA per admission; 1 and 64 in flight); then what
 * the whole decision costs per request in process for bench:limits' route (limits-decision.ts).
 * Usage: node bench/limits-micro.ts [--redis-port 6379] [--seconds 1]
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { fixedWindow, gcra, slidingWindow, tokenBucket } from "../src/limits/spec.ts";
import type { LimitSpec } from "../src/limits/types.ts";
import { isStoreUnavailable, type LimitItem } from "../src/store/limits.ts";
import { createMemoryLimitStore } from "../src/store/memory/limit-store.ts";
import { createRedisLimitStore } from "../src/store/redis/limit-store.ts";
import { decisionCosts } from "./limits-decision.ts";

const { values } = parseArgs({ options: { "redis-port": { type: "string", default: "6379" }, seconds: { type: "string", default: "1" } } });
const seconds = Number(values.seconds);
const KEYS = 10_000;
const HUGE = 1_000_000_000;

const onePerKind: Array<[string, LimitSpec]> = [
  ["fixed window", fixedWindow({ limit: HUGE, windowMs: 60_000 })],
  ["sliding window", slidingWindow({ limit: HUGE, windowMs: 60_000 })],
  ["token bucket", tokenBucket({ capacity: HUGE, refillPerSecond: 100 })],
  ["gcra", gcra({ rate: HUGE, periodMs: 1000, burst: HUGE })],
];
const three = (i: number): LimitItem[] => [
  { key: `ip:203.0.${i >> 8}.${i & 255}`, spec: fixedWindow({ limit: HUGE, windowMs: 60_000 }), cost: 1 },
  { key: `prefix:203.0.${i >> 8}.0/24`, spec: slidingWindow({ limit: HUGE, windowMs: 60_000 }), cost: 1 },
  { key: `user:${i}`, spec: tokenBucket({ capacity: HUGE, refillPerSecond: 100 }), cost: 1 },
];

function report(label: string, ops: number[]): void {
  const sorted = [...ops].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  console.log(`${label.padEnd(46)} ${Math.round(median).toLocaleString("en-US").padStart(12)} ops/s (best ${Math.round(sorted[sorted.length - 1]!).toLocaleString("en-US")})`);
}

function memoryRounds(itemsFor: (i: number) => LimitItem[]): number[] {
  const store = createMemoryLimitStore();
  // Prepared item lists: the benchmark measures admission, not building keys.
  const prepared = Array.from({ length: KEYS }, (_, i) => itemsFor(i));
  const now = Date.now();
  const rounds: number[] = [];
  for (let round = 0; round < 6; round++) {
    let ops = 0;
    const started = performance.now();
    const until = started + seconds * 1000;
    while (performance.now() < until) {
      for (let i = 0; i < 10_000; i++) store.admit("bench", prepared[(ops + i) % KEYS]!, now);
      ops += 10_000;
    }
    if (round > 0) rounds.push((ops * 1000) / (performance.now() - started));
  }
  return rounds;
}

async function redisRounds(port: number, itemsFor: (i: number) => LimitItem[], inFlight: number): Promise<number[]> {
  const prefix = `t:bench:${randomBytes(4).toString("hex")}:`;
  const store = createRedisLimitStore({ port, keyPrefix: prefix, timeoutMs: 2000 });
  const ready = await store.ready(5000);
  if (ready !== undefined) throw new Error(ready.message);
  const prepared = Array.from({ length: KEYS }, (_, i) => itemsFor(i));
  const rounds: number[] = [];
  try {
    for (let round = 0; round < 4; round++) {
      let ops = 0;
      const started = performance.now();
      const until = started + seconds * 1000;
      await Promise.all(Array.from({ length: inFlight }, async () => {
        while (performance.now() < until) {
          const result = await store.admit("bench", prepared[ops++ % KEYS]!, Date.now());
          if (isStoreUnavailable(result)) throw new Error(result.message);
        }
      }));
      if (round > 0) rounds.push((ops * 1000) / (performance.now() - started));
    }
  } finally {
    await store.close();
    const admin = new Redis({ port, lazyConnect: true });
    await admin.connect();
    const keys = await admin.keys(`${prefix}*`);
    for (let i = 0; i < keys.length; i += 1000) await admin.del(...keys.slice(i, i + 1000));
    admin.disconnect();
  }
  return rounds;
}

console.log(`limits micro benchmark — node ${process.version}, ${KEYS} keys, ${seconds} s rounds (median of 5 memory / 3 redis)`);
for (const [name, spec] of onePerKind) report(`memory, 1 limit (${name})`, memoryRounds((i) => [{ key: `ip:${i}`, spec, cost: 1 }]));
report("memory, 3 limits (fixed + sliding + bucket)", memoryRounds(three));
const port = Number(values["redis-port"]);
const oneRedis = (i: number): LimitItem[] => [{ key: `ip:${i}`, spec: onePerKind[1]![1], cost: 1 }];
for (const inFlight of [1, 64]) {
  report(`redis, 1 limit (sliding window), ${inFlight} in flight`, await redisRounds(port, oneRedis, inFlight));
  report(`redis, 3 limits, ${inFlight} in flight`, await redisRounds(port, three, inFlight));
}

const { ns } = decisionCosts();
const added = (value: number): string => `${value.toFixed(0).padStart(5)} ns  (+${(value - ns.none).toFixed(0)} ns over no limits)`;
console.log("\ndecision per request in process (pipeline evaluate + observe, bench:limits' route, median of 7 mirrored rounds)");
console.log(`${"no limits".padEnd(46)} ${ns.none.toFixed(0).padStart(5)} ns`);
console.log(`${"3 memory limits".padEnd(46)} ${added(ns.memory)}`);
console.log(`${"3 memory limits, headers: false".padEnd(46)} ${added(ns.memory_no_headers)}`);
