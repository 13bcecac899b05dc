/**
 * bench:limits (gateway part) — one run, one load generator, side by side: the gateway with no
 * rate limits, with 3 limits per request on the memory store (per IP, per prefix, global; high
 * enough never to deny), the same with `headers: false` (what the admission costs without the
 * RateLimit fields), and with the same 3 on Redis; as a reference, rate-limiter-flexible (3
 * RateLimiterMemory consumes) on the minimal undici proxy, and that proxy alone. A second
 * gateway without limits is measured as a variant too: a control, whose ratio to the first
 * shows how far this run's ratios are off for the machine alone (1.000 on a quiet one).
 * Targets run in mirrored order, round after round (see loadMirrored), each as 2 processes
 * loaded in turn (see Target), on a CPU of their own (see pinCores). Redis is a redis-server
 * this bench starts on the load generator's CPUs, or the one at --redis-port (keys under a
 * prefix of this run, removed afterwards). Prints requests/s, p50/p99, server CPU µs per
 * request, and the ratios against their targets with their spread across rounds.
 *
 *   node bench/limits.ts [--rounds 12 --round-seconds 1 --connections 50 --replicas 2 --redis-port PORT]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { startRedis, type RedisServer } from "../test/helpers/limits-redis-server.ts";
import { adminMetrics, describeCores, loadMirrored, pin, pinCores, startServer, type MeasuredRow, type Ratio, type Started, type Target } from "./harness.ts";
import { limitsBenchYaml, type Limits } from "./limits-config.ts";
import { histogramQuantile } from "./prometheus.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "12" },
    "round-seconds": { type: "string", default: "1" },
    connections: { type: "string", default: "50" },
    warmup: { type: "string", default: "2" },
    replicas: { type: "string", default: "2" },
    "redis-port": { type: "string" },
  },
});
const rounds = Number(values.rounds);
const roundSeconds = Number(values["round-seconds"]);
const connections = Number(values.connections);
const warmup = Number(values.warmup);
const replicas = Number(values.replicas);

/** Redis server CPU (user + system) in microseconds, from INFO cpu. */
async function redisCpuMicros(redis: Redis): Promise<number> {
  const info = await redis.info("cpu");
  const read = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (read("used_cpu_user") + read("used_cpu_sys")) * 1_000_000;
}

const cores = pinCores();
const dir = mkdtempSync(join(tmpdir(), "rampart-bench-limits-"));
const keyPrefix = `bench:limits:${process.pid}:`;
/** Our own redis-server, unless --redis-port names one: then it runs where the machine put it. */
const ownRedis: RedisServer | undefined = values["redis-port"] === undefined ? await startRedis() : undefined;
if (ownRedis !== undefined && cores !== undefined) pin(ownRedis.process.pid as number, cores.load);
const redisPort = ownRedis?.port ?? Number(values["redis-port"]);
const redis = new Redis({ port: redisPort, lazyConnect: true, maxRetriesPerRequest: 0 });
const started: Started[] = [];
async function start(script: string, args: string[], cpus: string | undefined): Promise<Started> {
  const server = await startServer(script, args, cpus);
  started.push(server);
  return server;
}
/** `replicas` gateways of one config (see Target). */
async function startRampart(name: string, limits: Limits, upstreamPort: number): Promise<Started[]> {
  const gateways: Started[] = [];
  for (let i = 0; i < replicas; i++) {
    const file = join(dir, `${name}-${i}.yaml`);
    writeFileSync(file, limitsBenchYaml({ upstreamPort, logFile: join(dir, `${name}-${i}.log`), limits, redisPort, keyPrefix }));
    gateways.push(await start("servers/rampart.ts", [file], cores?.measured));
  }
  return gateways;
}
async function startProxy(script: string, origin: string): Promise<Started[]> {
  const proxies: Started[] = [];
  for (let i = 0; i < replicas; i++) proxies.push(await start(script, [origin], cores?.measured));
  return proxies;
}
const target = (name: string, servers: readonly Started[], extra?: Target["extraCpuMicros"]): Target => ({
  name,
  replicas: servers.map((server) => ({ url: `http://127.0.0.1:${server.port}/api/items/42`, server: server.child })),
  ...(extra === undefined ? {} : { extraCpuMicros: extra }),
});

try {
  await redis.connect();
  const upstream = await start("servers/upstream.ts", [], cores?.load);
  const origin = `http://127.0.0.1:${upstream.port}`;
  const gateways = {
    none: await startRampart("none", "none", upstream.port),
    control: await startRampart("control", "none", upstream.port),
    memory: await startRampart("memory", "memory", upstream.port),
    quiet: await startRampart("quiet", "memory_no_headers", upstream.port),
    redis: await startRampart("redis", "redis", upstream.port),
  };
  const none = target("rampart, no limits", gateways.none);
  const control = target("  control: same again", gateways.control);
  const memory = target("rampart, 3 memory limits", gateways.memory);
  const quiet = target("  same, headers: false", gateways.quiet);
  const onRedis = target("rampart, 3 redis limits", gateways.redis, () => redisCpuMicros(redis));
  const undici = target("undici proxy alone", await startProxy("servers/undici-proxy.ts", origin));
  const rlf = target("undici proxy + rlf (3 mem)", await startProxy("servers/undici-proxy-rlf.ts", origin));
  console.log(`bench:limits — gateway with 3 limits per request, ${rounds} rounds of ${roundSeconds} s per run in mirrored order, ${replicas} processes per target loaded in turn, ${connections} connections, autocannon, 127.0.0.1`);
  console.log(`${describeCores(cores)}; Redis: ${ownRedis === undefined ? `127.0.0.1:${redisPort}` : "a redis-server of this bench"}\n`);
  const { rows, ratios } = await loadMirrored([
    { baseline: none, variants: [control, memory, quiet, onRedis] },
    { baseline: undici, variants: [rlf] },
  ], { connections, roundSeconds, rounds, warmup, onRound: (round) => process.stderr.write(`round ${round}/${rounds} done\n`) });
  const decisionP99 = new Map<Target, number>();
  for (const [t, servers] of [[none, gateways.none], [control, gateways.control], [memory, gateways.memory], [quiet, gateways.quiet], [onRedis, gateways.redis]] as const) {
    let worst = 0;
    for (const server of servers) worst = Math.max(worst, histogramQuantile(await adminMetrics(server.adminPort as number), "rampart_decision_latency_seconds", 0.99));
    decisionP99.set(t, worst);
  }

  console.log("target                       req/s   p50 ms  p99 ms  CPU µs/req  redis CPU µs/req  decision p99  non-2xx  errors");
  for (const [t, r] of rows) {
    const redisCpu = r.extraCpuPerReq === undefined ? "-" : r.extraCpuPerReq.toFixed(1);
    const p99 = decisionP99.get(t);
    const decision = p99 === undefined ? "-" : `≤ ${(p99 * 1e6).toFixed(0)} µs`;
    console.log(
      `${r.name.padEnd(27)} ${r.rps.toFixed(0).padStart(7)}  ${String(r.p50).padStart(6)} ${String(r.p99).padStart(7)}  ${r.cpuPerReq.toFixed(1).padStart(10)}  ${redisCpu.padStart(16)}  ${decision.padStart(12)}  ${String(r.non2xx).padStart(7)}  ${String(r.errors).padStart(6)}`,
    );
  }
  const show = (label: string, ratio: Ratio, goal: string): void => {
    console.log(`${label.padEnd(28)}: ${ratio.median.toFixed(3)}   (${rounds} rounds: ${ratio.min.toFixed(3)}–${ratio.max.toFixed(3)}; all requests: ${ratio.total.toFixed(3)})   ${goal}`);
  };
  const row = (t: Target): MeasuredRow => rows.get(t)!;
  console.log("\nratios: median over rounds of the variant's two runs / the baseline's two in the same round");
  show("control: no limits again", ratios.get(control)!, "(the machine's error in this run: 1.000 on a quiet one)");
  show("3 memory limits / no limits", ratios.get(memory)!, "(target ≥ 0.9)");
  show("  same, headers: false", ratios.get(quiet)!, "(information: the admission without the two RateLimit fields)");
  show("3 redis limits / no limits", ratios.get(onRedis)!, "(target ≥ 0.7)");
  show("rlf proxy / undici proxy", ratios.get(rlf)!, "(reference: what the same 3 limits cost rate-limiter-flexible)");
  console.log(`CPU added by 3 limits       : memory ${(row(memory).cpuPerReq - row(none).cpuPerReq).toFixed(1)} µs/req (${(row(quiet).cpuPerReq - row(none).cpuPerReq).toFixed(1)} with headers: false), redis ${(row(onRedis).cpuPerReq - row(none).cpuPerReq).toFixed(1)} µs/req (+ ${row(onRedis).extraCpuPerReq?.toFixed(1)} µs/req in redis-server), rlf ${(row(rlf).cpuPerReq - row(undici).cpuPerReq).toFixed(1)} µs/req`);
  if ([...rows.values()].some((r) => r.non2xx > 0 || r.errors > 0)) console.log("\nwarning: some answers were not 2xx or failed: the figures above are not comparable");
} finally {
  for (const { child } of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  if (redis.status === "ready") {
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  redis.disconnect();
  await ownRedis?.stop();
  rmSync(dir, { recursive: true, force: true });
}
