/**
 * What every bench shares: servers started as child processes (each prints `{port, adminPort?}`
 * on its first stdout line), CPU time of a process from /proc, and autocannon runs against
 * servers with their CPU per request, each variant framed by runs of its baseline. Load stays
 * on 127.0.0.1 and every run stops by itself.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import autocannon from "autocannon";

const ADMIN_TOKEN = "bench-admin-token-0123456789";

export interface Started {
  readonly child: ChildProcess;
  readonly port: number;
  readonly adminPort?: number;
}

/** Starts `bench/<script>` on the pinned Node and waits (15 s at most) for the line with its port. */
export function startServer(script: string, args: readonly string[]): Promise<Started> {
  const child = spawn(process.execPath, [join(import.meta.dirname, script), ...args], { stdio: ["ignore", "pipe", "inherit"] });
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

/** One server under load in a bench. */
export interface Target {
  readonly name: string;
  readonly url: string;
  readonly server: ChildProcess;
  /** CPU (µs) used so far by a process serving this target besides `server` (e.g. redis-server). */
  readonly extraCpuMicros?: () => Promise<number>;
}

interface Round { readonly row: LoadRow; readonly seconds: number; readonly extraCpu: number }

async function loadRound(target: Target, connections: number, duration: number): Promise<Round> {
  const extraBefore = (await target.extraCpuMicros?.()) ?? 0;
  const cpuBefore = cpuMicros(target.server.pid as number);
  const started = performance.now();
  const result = await autocannon({ url: target.url, connections, duration });
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuMicros(target.server.pid as number) - cpuBefore;
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

export interface SandwichOptions {
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
  /** Median over rounds of variant / mean of the baseline runs just before and just after it. */
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
 * Loads each variant between two runs of its baseline (B V1 B V2 B, round after round) and
 * rates it against the mean of the two baseline runs around it. A shared machine's speed
 * drifts by a third within seconds (measured here with a fixed CPU loop: 16 to 22 ms for the
 * same work); one long run per target lands that drift on one target and not the other,
 * while a variant framed by its baseline meets the same machine, drift included. The median
 * over rounds leaves out the rounds a burst of noise hit. Latencies are medians over rounds;
 * requests/s and CPU are totals over all of a target's runs.
 */
export async function loadSandwiched(comparisons: readonly Comparison[], options: SandwichOptions): Promise<{
  rows: Map<Target, MeasuredRow>;
  ratios: Map<Target, Ratio>;
}> {
  const { connections, roundSeconds, rounds, warmup } = options;
  const all = comparisons.flatMap((c) => [c.baseline, ...c.variants]);
  for (const target of all) if (warmup > 0) await autocannon({ url: target.url, connections, duration: warmup });
  const runs = new Map<Target, Round[]>(all.map((target) => [target, []]));
  const perRound = new Map<Target, number[]>();
  const measure = async (target: Target): Promise<number> => {
    const round = await loadRound(target, connections, roundSeconds);
    runs.get(target)!.push(round);
    return round.row.rps;
  };
  for (let round = 0; round < rounds; round++) {
    for (const { baseline, variants } of comparisons) {
      let before = await measure(baseline);
      for (const variant of variants) {
        const rps = await measure(variant);
        const after = await measure(baseline);
        const ratios = perRound.get(variant) ?? [];
        ratios.push(rps / ((before + after) / 2));
        perRound.set(variant, ratios);
        before = after;
      }
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
