/**
 * What every bench shares: servers started as child processes (each prints `{port, adminPort?}`
 * on its first stdout line), CPU time of a process from /proc, and one autocannon run against a
 * server with its CPU per request. Load stays on 127.0.0.1 and every run stops by itself.
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

export interface LoadOptions {
  readonly connections: number;
  readonly duration: number;
  readonly warmup: number;
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

/** A warm-up, then one measured autocannon run against `url`, with the server's CPU per request. */
export async function loadServer(name: string, url: string, server: ChildProcess, options: LoadOptions): Promise<LoadRow> {
  const { connections, duration, warmup } = options;
  if (warmup > 0) await autocannon({ url, connections, duration: warmup });
  const cpuBefore = cpuMicros(server.pid as number);
  const result = await autocannon({ url, connections, duration });
  const cpu = cpuMicros(server.pid as number) - cpuBefore;
  const total = Math.max(1, result.requests.total);
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuPerReq: cpu / total,
    total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
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
