/**
 * What every bench shares: servers started as child processes (each prints `{port, adminPort?}`
 * on its first stdout line), CPU time of a process from /proc, and autocannon runs against
 * servers with their CPU per request, in mirrored order against a baseline, the servers under
 * measure on a CPU of their own. Load stays on 127.0.0.1 and every run stops by itself.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";

const ADMIN_TOKEN = "bench-admin-token-0123456789";

export interface Started {
  readonly child: ChildProcess;
  readonly port: number;
  readonly adminPort?: number;
}

/**
 * Where a bench's processes run. With 2 CPUs or more (and taskset), the servers under measure
 * get the last CPU to themselves and everything else (this process with its load generator,
 * the upstream, Redis) the others: each measured server then runs CPU-bound on a core of its
 * own, as a gateway does in production, and its requests/s are what its own work per request
 * allows, not what the scheduler left it beside the load generator. With identical gateways
 * as baseline and variants, pinned and in mirrored order, the ratios came out 0.968–1.041.
 */
export interface Cores {
  /** CPU list (taskset syntax) of the servers under measure. */
  readonly measured: string;
  /** CPU list of everything else. */
  readonly load: string;
}

/** Pins this process to the load CPUs and returns the split, or undefined when it cannot (1 CPU, no taskset). */
export function pinCores(): Cores | undefined {
  const cpus = availableParallelism();
  if (cpus < 2 || spawnSync("taskset", ["--version"]).status !== 0) return undefined;
  const cores: Cores = { measured: String(cpus - 1), load: cpus === 2 ? "0" : `0-${cpus - 2}` };
  pin(process.pid, cores.load);
  return cores;
}

/** Moves every thread of a running process to `cpus`. */
export function pin(pid: number, cpus: string): void {
  execFileSync("taskset", ["-a", "-cp", cpus, String(pid)], { stdio: "ignore" });
}

/** How a bench tells where its processes run, for its header line. */
export function describeCores(cores: Cores | undefined): string {
  return cores === undefined
    ? "not pinned (1 CPU or no taskset): the servers share the CPUs with the load generator"
    : `servers under measure on CPU ${cores.measured}; the load generator and every other server on CPU ${cores.load}`;
}

/**
 * Starts `bench/<script>` on the pinned Node (on `cpus` when given) and waits (15 s at most)
 * for the line with its port.
 */
export function startServer(script: string, args: readonly string[], cpus?: string): Promise<Started> {
  const command = [process.execPath, join(import.meta.dirname, script), ...args];
  const child = cpus === undefined
    ? spawn(command[0]!, command.slice(1), { stdio: ["ignore", "pipe", "inherit"] })
    : spawn("taskset", ["-c", cpus, ...command], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => reject(new Error(`${script} did not start within 15 s`)), 15_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split("\n")[0];
      if (buffered.includes("\n") && line) {
        clearTimeout(timer);
        resolve({ child, ...(JSON.parse(line) as { port: number; adminPort?: number }) });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}`));
    });
  });
}

/** CPU time (user + system) of a process in microseconds, from /proc (Linux). */
export function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100; // CLK_TCK is 100 on Linux
}

export interface LoadRow {
  readonly name: string;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** Server CPU µs per request (the server process only, not the load generator). */
  readonly cpuPerReq: number;
  readonly total: number;
  readonly non2xx: number;
  readonly errors: number;
}

/** One process serving a target. */
export interface Replica {
  readonly url: string;
  readonly server: ChildProcess;
}

/**
 * One server under load in a bench, run as one process or as several of the same config
 * (replicas), loaded in turn round after round: two Node processes of the same code can keep
 * different speeds for their whole life (two no-limits gateways under equal loads: 49.0 and
 * 54.3 µs of CPU per request), and a ratio of two single processes would carry that difference.
 */
export interface Target {
  readonly name: string;
  readonly replicas: readonly Replica[];
  /** CPU (µs) used so far by a process serving this target besides its own (e.g. redis-server). */
  readonly extraCpuMicros?: () => Promise<number>;
}

interface Round { readonly row: LoadRow; readonly seconds: number; readonly extraCpu: number }

async function loadRound(target: Target, replica: Replica, connections: number, duration: number): Promise<Round> {
  const extraBefore = (await target.extraCpuMicros?.()) ?? 0;
  const cpuBefore = cpuMicros(replica.server.pid as number);
  const started = performance.now();
  const result = await autocannon({ url: replica.url, connections, duration });
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuMicros(replica.server.pid as number) - cpuBefore;
  const extraCpu = ((await target.extraCpuMicros?.()) ?? 0) - extraBefore;
  const total = Math.max(1, result.requests.total);
  const row: LoadRow = {
    name: target.name,
    rps: total / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuPerReq: cpu / total,
    total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
  return { row, seconds, extraCpu };
}

export interface MirroredOptions {
  readonly connections: number;
  /** Seconds of one measurement. */
  readonly roundSeconds: number;
  readonly rounds: number;
  /** Seconds of warm-up per target before the first round. */
  readonly warmup: number;
  /** Called after each round with its number (1-based), for progress. */
  readonly onRound?: (round: number) => void;
}

/** Targets compared with one baseline. */
export interface Comparison {
  readonly baseline: Target;
  readonly variants: readonly Target[];
}

export interface MeasuredRow extends LoadRow {
  /** CPU µs per request of the target's extra process, when it has one. */
  readonly extraCpuPerReq?: number;
}

/** A variant's throughput over its baseline's. */
export interface Ratio {
  /** Median over rounds of the variant's two runs over the baseline's two (see loadMirrored). */
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** All the variant's requests per second over all the baseline's. */
  readonly total: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function summarize(target: Target, runs: readonly Round[]): MeasuredRow {
  const total = runs.reduce((sum, r) => sum + r.row.total, 0);
  const seconds = runs.reduce((sum, r) => sum + r.seconds, 0);
  const cpu = runs.reduce((sum, r) => sum + r.row.cpuPerReq * r.row.total, 0);
  const extra = runs.reduce((sum, r) => sum + r.extraCpu, 0);
  return {
    name: target.name,
    rps: total / seconds,
    p50: median(runs.map((r) => r.row.p50)),
    p99: median(runs.map((r) => r.row.p99)),
    cpuPerReq: cpu / total,
    total,
    non2xx: runs.reduce((sum, r) => sum + r.row.non2xx, 0),
    errors: runs.reduce((sum, r) => sum + r.row.errors, 0),
    ...(target.extraCpuMicros === undefined ? {} : { extraCpuPerReq: extra / total }),
  };
}

/**
 * Loads the targets of each comparison in mirrored order, round after round: the baseline,
 * each variant, then the variants again in reverse and the baseline (B V1 V2 V2 V1 B), and
 * rates each variant by its two runs over the baseline's two. A shared machine's speed drifts
 * by a third within seconds (measured here with a fixed CPU loop: 16 to 22 ms for the same
 * work); one long run per target lands that drift on one target and not the other. In
 * mirrored order every target's two runs sit at the same mean time within the round, so a
 * drift that is linear over the round cancels, and every target gets the same load. A target
 * of several replicas loads the next one each round. (The earlier order, each variant between
 * two runs of its baseline, gave the baseline three times the load of a variant; with
 * identical gateways as baseline and variants it rated the variants 4.5 % low on average over
 * 3 runs, one of them 12 % low.) The median over rounds leaves out the rounds a burst of noise
 * hit. Latencies are medians over runs; requests/s and CPU are totals over all of a target's
 * runs.
 */
export async function loadMirrored(comparisons: readonly Comparison[], options: MirroredOptions): Promise<{
  rows: Map<Target, MeasuredRow>;
  ratios: Map<Target, Ratio>;
}> {
  const { connections, roundSeconds, rounds, warmup } = options;
  const all = comparisons.flatMap((c) => [c.baseline, ...c.variants]);
  for (const { replicas } of all) {
    for (const { url } of replicas) if (warmup > 0) await autocannon({ url, connections, duration: warmup });
  }
  const runs = new Map<Target, Round[]>(all.map((target) => [target, []]));
  const perRound = new Map<Target, number[]>(all.map((target) => [target, []]));
  for (let round = 0; round < rounds; round++) {
    for (const { baseline, variants } of comparisons) {
      const targets = [baseline, ...variants];
      const rps = new Map<Target, number>();
      for (const target of [...targets, ...targets.toReversed()]) {
        const run = await loadRound(target, target.replicas[round % target.replicas.length]!, connections, roundSeconds);
        runs.get(target)!.push(run);
        rps.set(target, (rps.get(target) ?? 0) + run.row.rps);
      }
      for (const variant of variants) perRound.get(variant)!.push(rps.get(variant)! / rps.get(baseline)!);
    }
    options.onRound?.(round + 1);
  }
  const rows = new Map<Target, MeasuredRow>(all.map((target) => [target, summarize(target, runs.get(target)!)]));
  const ratios = new Map<Target, Ratio>();
  for (const { baseline, variants } of comparisons) {
    for (const variant of variants) {
      const values = perRound.get(variant)!;
      ratios.set(variant, {
        median: median(values), min: Math.min(...values), max: Math.max(...values),
        total: rows.get(variant)!.rps / rows.get(baseline)!.rps,
      });
    }
  }
  return { rows, ratios };
}

/** Reads the admin /metrics text of a started Rampart. */
export async function adminMetrics(adminPort: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return res.text();
}

/**
 * A rampart.yaml for a bench: one listener and an admin listener on 127.0.0.1 (any port), the
 * upstream `api`, `routes` (YAML list items indented by 2), anything in `extra` (top-level
 * YAML), and the request log in `logFile` — a real gateway logs every request.
 */
export function benchGatewayYaml(upstreamPort: number, logFile: string, routes: string, extra = ""): string {
  return `
listeners:
  - port: 0
    address: 127.0.0.1
upstreams:
  api:
    targets: ["http://127.0.0.1:${upstreamPort}"]
routes:
${routes}
${extra}
logging:
  destination: ${logFile}
admin:
  address: 127.0.0.1
  port: 0
  tokens: [{ name: bench, token: ${ADMIN_TOKEN} }]
`;
}
