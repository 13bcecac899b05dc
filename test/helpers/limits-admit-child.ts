/**
 * Child process for test/store/limit-redis-processes.test.ts: connects a Redis LimitStore, says
 * "ready", waits for "go" on stdin, fires N concurrent admissions and prints the tally as JSON.
 * Run without arguments it does nothing (so a test runner picking it up finds no work).
 */
import { fixedWindow } from "../../src/limits/spec.ts";
import { isStoreUnavailable } from "../../src/store/limits.ts";
import { createRedisLimitStore } from "../../src/store/redis/limit-store.ts";

const [port, prefix, count, limit, now] = process.argv.slice(2);
if (port !== undefined && prefix !== undefined && count !== undefined && limit !== undefined && now !== undefined) {
  const store = createRedisLimitStore({ port: Number(port), keyPrefix: prefix, timeoutMs: 5000 });
  const ready = await store.ready(5000);
  if (ready !== undefined) { process.stderr.write(`${ready.message}\n`); process.exit(2); }
  const items = [{ key: "shared", spec: fixedWindow({ limit: Number(limit), windowMs: 3_600_000 }), cost: 1 }];
  process.stdout.write("ready\n");
  process.stdin.once("data", async () => {
    const results = await Promise.all(Array.from({ length: Number(count) }, () => store.admit("two-processes", items, Number(now))));
    const tally = { allowed: 0, denied: 0, unavailable: 0 };
    for (const r of results) {
      if (isStoreUnavailable(r)) tally.unavailable++; else if (r.allowed) tally.allowed++; else tally.denied++;
    }
    process.stdout.write(`${JSON.stringify(tally)}\n`);
    await store.close();
    process.exit(0);
  });
}
