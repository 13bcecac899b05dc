/**
 * Child process (run with --expose-gc) for test/store/limit-memory-bound.test.ts: a rotation
 * attack of N distinct IPv6 /128 keys against a memory LimitStore of a given byte budget;
 * prints heap growth and the store's own figures as JSON. Without arguments it does nothing.
 */
import { slidingWindow } from "../../src/limits/spec.ts";
import { createMemoryLimitStore } from "../../src/store/memory/limit-store.ts";

const [count, maxBytes] = process.argv.slice(2).map(Number);
const gc = (globalThis as { gc?: () => void }).gc;
if (count !== undefined && maxBytes !== undefined && gc !== undefined) {
  const measure = () => { gc(); gc(); const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
  const spec = slidingWindow({ limit: 100, windowMs: 60_000 });
  const store = createMemoryLimitStore({ maxBytes });
  const before = measure();
  const now = Date.UTC(2026, 0, 5);
  const hex = () => Math.floor(Math.random() * 0x10000).toString(16);
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    // A fresh /128 each time, all inside one /64: the attacker's rotation.
    const ip = `2001:db8:${hex()}:${hex()}:${hex()}:${hex()}:${hex()}:${(i & 0xffff).toString(16)}`;
    store.admit("login", [{ key: `ip:${ip}`, spec, cost: 1 }], now + (i >> 10));
  }
  const seconds = (performance.now() - started) / 1000;
  const after = measure();
  process.stdout.write(`${JSON.stringify({
    count, maxBytes, heapGrowth: after - before, keys: store.size, maxKeys: store.maxKeys, estimatedBytes: store.bytes,
    bytesPerKey: Math.round((after - before) / store.size), estimatePerKey: Math.round(store.bytes / store.size),
    opsPerSecond: Math.round(count / seconds),
  })}\n`);
}
