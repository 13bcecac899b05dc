/**
 * bench:limits (gateway part) — one run, one load generator, side by side: the gateway with no
 * rate limits, with 3 limits per request on the memory store (per IP, per prefix, global; high
 * enough never to deny), and with the same 3 on Redis (127.0.0.1:6379, a key prefix of this
 * run, removed afterwards); as a reference, rate-limiter-flexible (3 RateLimiterMemory
 * consumes) on the minimal undici proxy, and that proxy alone. Prints requests/s, p50/p99,
 * server CPU µs per request, and the ratios against their targets.
 *
 *   node bench/limits.ts [--duration 10 --connections 50 --redis-port 6379]
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { adminMetrics, benchGatewayYaml, loadServer, startServer, type LoadRow, type Started } from "./harness.ts";
import { histogramQuantile } from "./prometheus.ts";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "50" },
    warmup: { type: "string", default: "2" },
    "redis-port": { type: "string", default: "6379" },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const warmup = Number(values.warmup);
const redisPort = Number(values["redis-port"]);
const HUGE = 1_000_000_000;

/** Redis server CPU (user + system) in microseconds, from INFO cpu. */
async function redisCpuMicros(redis: Redis): Promise<number> {
  const info = await redis.info("cpu");
  const read = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (read("used_cpu_user") + read("used_cpu_sys")) * 1_000_000;
}

interface Row extends LoadRow { redisCpuPerReq?: number; decisionP99?: number }

async function load(name: string, target: Started, redis?: Redis): Promise<Row> {
  const redisBefore = redis === undefined ? 0 : await redisCpuMicros(redis);
  const row: Row = { ...(await loadServer(name, `http://127.0.0.1:${target.port}/api/items/42`, target.child, { connections, duration, warmup })) };
  if (redis !== undefined) row.redisCpuPerReq = (await redisCpuMicros(redis) - redisBefore) / row.total;
  if (target.adminPort !== undefined) row.decisionP99 = histogramQuantile(await adminMetrics(target.adminPort), "rampart_decision_latency_seconds", 0.99);
  return row;
}

const THREE_LIMITS = `
    rate_limits:
      - { name: per_ip, limit: ${HUGE}, window: 1m, key: [ip] }
      - { name: per_prefix, algorithm: token_bucket, burst: ${HUGE}, rate: ${HUGE}, window: 1s, key: [ip_prefix] }
      - { name: everyone, algorithm: fixed_window, limit: ${HUGE}, window: 1h, key: [global] }`;

function rampartConfig(upstreamPort: number, logFile: string, limits: "none" | "memory" | "redis", keyPrefix: string): string {
  const routes = `  - path: /api/items/:id
    methods: [GET]
    upstream: api${limits === "none" ? "" : THREE_LIMITS}`;
  const stores = limits === "redis" ? `stores:\n  limits: { driver: redis, host: 127.0.0.1, port: ${redisPort}, key_prefix: "${keyPrefix}", timeout: 1s }` : "";
  return benchGatewayYaml(upstreamPort, logFile, routes, stores);
}

const dir = mkdtempSync(join(tmpdir(), "rampart-bench-limits-"));
const keyPrefix = `bench:limits:${process.pid}:`;
const redis = new Redis({ port: redisPort, lazyConnect: true, maxRetriesPerRequest: 0 });
const children: ChildProcess[] = [];
async function startRampart(limits: "none" | "memory" | "redis"): Promise<Started> {
  const file = join(dir, `${limits}.yaml`);
  writeFileSync(file, rampartConfig(upstream.port, join(dir, `${limits}.log`), limits, keyPrefix));
  const started = await startServer("servers/rampart.ts", [file]);
  children.push(started.child);
  return started;
}
/** Each target runs alone: the 2 CPUs of a small machine are not shared between servers under load. */
async function measure(name: string, target: Started, withRedis?: Redis): Promise<Row> {
  const row = await load(name, target, withRedis);
  target.child.kill("SIGTERM");
  return row;
}

let upstream: Started;
try {
  await redis.connect();
  upstream = await startServer("servers/upstream.ts", []);
  children.push(upstream.child);
  console.log(`bench:limits — gateway with 3 limits per request, ${duration} s per target, ${connections} connections, autocannon, 127.0.0.1\n`);
  const none = await measure("rampart, no limits", await startRampart("none"));
  const memory = await measure("rampart, 3 memory limits", await startRampart("memory"));
  const onRedis = await measure("rampart, 3 redis limits", await startRampart("redis"), redis);
  const proxy = await startServer("servers/undici-proxy.ts", [`http://127.0.0.1:${upstream.port}`]);
  children.push(proxy.child);
  const undici = await measure("undici proxy alone", proxy);
  const rlfProxy = await startServer("servers/undici-proxy-rlf.ts", [`http://127.0.0.1:${upstream.port}`]);
  children.push(rlfProxy.child);
  const rlf = await measure("undici proxy + rlf (3 mem)", rlfProxy);
  const rows = [none, memory, onRedis, undici, rlf];

  console.log("target                       req/s   p50 ms  p99 ms  CPU µs/req  redis CPU µs/req  decision p99  non-2xx  errors");
  for (const r of rows) {
    const redisCpu = r.redisCpuPerReq === undefined ? "-" : r.redisCpuPerReq.toFixed(1);
    const decision = r.decisionP99 === undefined ? "-" : `≤ ${(r.decisionP99 * 1e6).toFixed(0)} µs`;
    console.log(
      `${r.name.padEnd(27)} ${r.rps.toFixed(0).padStart(7)}  ${String(r.p50).padStart(6)} ${String(r.p99).padStart(7)}  ${r.cpuPerReq.toFixed(1).padStart(10)}  ${redisCpu.padStart(16)}  ${decision.padStart(12)}  ${String(r.non2xx).padStart(7)}  ${String(r.errors).padStart(6)}`,
    );
  }
  console.log("");
  console.log(`3 memory limits / no limits : ${(memory.rps / none.rps).toFixed(3)}   (target ≥ 0.9)`);
  console.log(`3 redis limits / no limits  : ${(onRedis.rps / none.rps).toFixed(3)}   (target ≥ 0.7)`);
  console.log(`rlf proxy / undici proxy    : ${(rlf.rps / undici.rps).toFixed(3)}   (reference: what the same 3 limits cost rate-limiter-flexible)`);
  console.log(`CPU added by 3 limits       : memory ${(memory.cpuPerReq - none.cpuPerReq).toFixed(1)} µs/req, redis ${(onRedis.cpuPerReq - none.cpuPerReq).toFixed(1)} µs/req (+ ${onRedis.redisCpuPerReq?.toFixed(1)} µs/req in redis-server), rlf ${(rlf.cpuPerReq - undici.cpuPerReq).toFixed(1)} µs/req`);
  if (rows.some((r) => r.non2xx > 0 || r.errors > 0)) console.log("\nwarning: some answers were not 2xx or failed: the figures above are not comparable");
} finally {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  if (redis.status === "ready") {
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
}
