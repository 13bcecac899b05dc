/**
 * bench:limits:instructions — what 3 rate limits cost a proxied request in CPU instructions,
 * counted by valgrind's callgrind. A count is the same for the same work whatever else the
 * machine does, where requests/s on a shared machine drift by a third within seconds.
 *
 * Each gateway (no limits; 3 memory limits; the same with `headers: false`; 3 Redis limits)
 * runs under callgrind. After a warm-up long enough for V8 to have compiled the hot paths
 * (after 15,000 requests, the gateway without limits still spent 192k instructions a request,
 * 184k after 30,000: some functions were not yet in their final tier),
 * instructions are counted over a fixed number of requests (autocannon, 4 connections). Prints
 * instructions per request on the main thread, which serves every request, and each variant's
 * ratio to no limits: requests per instruction, the throughput a CPU-bound gateway would keep.
 * Other threads are left out: under valgrind, which runs one thread at a time, V8's compiler
 * threads are still catching up after the warm-up, by an amount that differs from run to run.
 * Takes about two and a half minutes per gateway.
 *
 *   node bench/limits-instructions.ts [--warmup 30000 --requests 8000 --redis-port 6379]
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { Redis } from "ioredis";
import { startServer, type Started } from "./harness.ts";
import { limitsBenchYaml, type Limits } from "./limits-config.ts";

const { values } = parseArgs({
  options: {
    warmup: { type: "string", default: "30000" },
    requests: { type: "string", default: "8000" },
    "redis-port": { type: "string", default: "6379" },
  },
});
const warmup = Number(values.warmup);
const requests = Number(values.requests);
const redisPort = Number(values["redis-port"]);

const VARIANTS: readonly [Limits, string][] = [
  ["none", "rampart, no limits"],
  ["memory", "rampart, 3 memory limits"],
  ["memory_no_headers", "  same, headers: false"],
  ["redis", "rampart, 3 redis limits"],
];

interface Counted {
  readonly name: string;
  readonly requests: number;
  readonly failed: number;
  /** Instructions per request on the main thread. */
  readonly main: number;
}

if (spawnSync("valgrind", ["--version"]).status !== 0) {
  process.stderr.write("bench:limits:instructions needs valgrind (Debian: apt-get install valgrind)\n");
  process.exit(1);
}

/** Starts a gateway under callgrind, counting nothing until told to; resolves with its port. */
function startCounted(configFile: string, outFile: string): Promise<{ child: ChildProcess; port: number }> {
  const args = [
    "--tool=callgrind", "--instr-atstart=no", "--separate-threads=yes", "--smc-check=all-non-file", `--callgrind-out-file=${outFile}`,
    process.execPath, join(import.meta.dirname, "servers/rampart.ts"), configFile,
  ];
  const child = spawn("valgrind", args, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway did not start under valgrind within 120 s:\n${stderr}`)), 120_000);
    let buffered = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      if (!buffered.includes("\n")) return;
      clearTimeout(timer);
      resolve({ child, port: (JSON.parse(buffered.split("\n")[0]!) as { port: number }).port });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited with ${code} under valgrind:\n${stderr}`));
    });
  });
}

/** Instructions callgrind counted on the main thread (its file ends in -01 with --separate-threads). */
function mainThreadInstructions(dir: string, outName: string): number {
  const file = readdirSync(dir).find((name) => name === `${outName}-01`);
  if (file === undefined) throw new Error(`callgrind wrote no main-thread profile (${outName}-01) in ${dir}`);
  return Number(/^totals:\s+(\d+)/m.exec(readFileSync(join(dir, file), "utf8"))?.[1] ?? 0);
}

async function count(limits: Limits, name: string, upstreamPort: number, dir: string, keyPrefix: string): Promise<Counted> {
  const configFile = join(dir, `${limits}.yaml`);
  writeFileSync(configFile, limitsBenchYaml({ upstreamPort, logFile: join(dir, `${limits}.log`), limits, redisPort, keyPrefix }));
  const outName = `${limits}.callgrind`;
  const { child, port } = await startCounted(configFile, join(dir, outName));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    const url = `http://127.0.0.1:${port}/api/items/42`;
    process.stderr.write(`${name.trim()}: warming up (${warmup} requests)…\n`);
    await autocannon({ url, connections: 4, amount: warmup });
    execFileSync("callgrind_control", ["--instr=on", String(child.pid)], { stdio: "ignore" });
    process.stderr.write(`${name.trim()}: counting ${requests} requests…\n`);
    const result = await autocannon({ url, connections: 4, amount: requests });
    execFileSync("callgrind_control", ["--instr=off", String(child.pid)], { stdio: "ignore" });
    child.kill("SIGTERM");
    await exited;
    const served = Math.max(1, result.requests.total);
    return { name, requests: served, failed: result.non2xx + result.errors + result.timeouts, main: mainThreadInstructions(dir, outName) / served };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

const dir = mkdtempSync(join(tmpdir(), "rampart-bench-instructions-"));
const keyPrefix = `bench:instructions:${process.pid}:`;
let upstream: Started | undefined;
try {
  upstream = await startServer("servers/upstream.ts", []);
  console.log(`bench:limits:instructions — callgrind, ${warmup} requests of warm-up then ${requests} counted, 4 connections, 127.0.0.1\n`);
  const rows: Counted[] = [];
  for (const [limits, name] of VARIANTS) rows.push(await count(limits, name, upstream.port, dir, keyPrefix));
  const none = rows[0]!;
  console.log("target                       requests  instructions/request  ratio");
  for (const row of rows) {
    console.log(`${row.name.padEnd(27)} ${String(row.requests).padStart(9)}  ${row.main.toFixed(0).padStart(20)}  ${(none.main / row.main).toFixed(3).padStart(5)}`);
  }
  console.log("\nratio = instructions per request without limits / with them: the throughput kept by a CPU-bound gateway");
  if (rows.some((row) => row.failed > 0)) console.log("warning: some answers were not 2xx or failed: the figures above are not comparable");
} finally {
  upstream?.child.kill("SIGTERM");
  const redis = new Redis({ port: redisPort, lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await redis.connect();
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } catch {
    // Redis not running: the redis variant failed already and said so.
  } finally {
    redis.disconnect();
  }
  rmSync(dir, { recursive: true, force: true });
}
