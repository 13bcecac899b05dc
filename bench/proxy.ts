/**
 * bench:proxy — one run, one load generator, side by side: the upstream alone, a minimal
 * undici proxy (the baseline), and Rampart with the gate layer on. Prints requests/s, p50/p99
 * latency and server CPU µs per request for each, the ratios, and Rampart's decision latency
 * quantiles from its own µs histogram. Load stays on 127.0.0.1 and stops by itself.
 *
 *   npm run bench:proxy [-- --duration 10 --connections 50]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { histogramQuantile } from "./prometheus.ts";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "50" },
    warmup: { type: "string", default: "2" },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const warmup = Number(values.warmup);
const here = import.meta.dirname;
const TOKEN = "bench-admin-token-0123456789";

interface Started { child: ChildProcess; port: number; adminPort?: number }

function start(script: string, args: string[]): Promise<Started> {
  const child = spawn(process.execPath, [join(here, script), ...args], { stdio: ["ignore", "pipe", "inherit"] });
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
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

/** CPU time (user + system) of a process in microseconds, from /proc (Linux). */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1_000_000) / 100; // CLK_TCK is 100 on Linux
}

interface Row { name: string; rps: number; p50: number; p99: number; cpuPerReq: number; non2xx: number; errors: number }

async function load(name: string, port: number, server: ChildProcess): Promise<Row> {
  const url = `http://127.0.0.1:${port}/api/items/42`;
  if (warmup > 0) await autocannon({ url, connections, duration: warmup });
  const cpuBefore = cpuMicros(server.pid as number);
  const result = await autocannon({ url, connections, duration });
  const cpu = cpuMicros(server.pid as number) - cpuBefore;
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuPerReq: cpu / Math.max(1, result.requests.total),
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

function rampartConfig(upstreamPort: number, logFile: string): string {
  return `
listeners:
  - port: 0
    address: 127.0.0.1
upstreams:
  api:
    targets: ["http://127.0.0.1:${upstreamPort}"]
routes:
  - path: /api/items/:id
    methods: [GET]
    upstream: api
  - path: /api/login
    methods: [POST]
    upstream: api
    cors: { origins: ["https://app.example"] }
ip:
  deny: [192.0.2.0/24, 198.51.100.0/24, "2001:db8::/32"]
logging:
  destination: ${logFile}
admin:
  address: 127.0.0.1
  port: 0
  tokens: [{ name: bench, token: ${TOKEN} }]
`;
}

const dir = mkdtempSync(join(tmpdir(), "rampart-bench-"));
const children: ChildProcess[] = [];
try {
  const upstream = await start("servers/upstream.ts", []);
  children.push(upstream.child);
  const baseline = await start("servers/undici-proxy.ts", [`http://127.0.0.1:${upstream.port}`]);
  children.push(baseline.child);
  const configFile = join(dir, "rampart.yaml");
  writeFileSync(configFile, rampartConfig(upstream.port, join(dir, "requests.log")));
  const rampart = await start("servers/rampart.ts", [configFile]);
  children.push(rampart.child);

  console.log(`bench:proxy — ${duration} s per target, ${connections} connections, autocannon, 127.0.0.1\n`);
  const rows = [
    await load("upstream alone", upstream.port, upstream.child),
    await load("minimal undici proxy", baseline.port, baseline.child),
    await load("rampart (gate layer)", rampart.port, rampart.child),
  ];
  console.log("target                    req/s     p50 ms  p99 ms  server CPU µs/req  non-2xx  errors");
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(24)} ${r.rps.toFixed(0).padStart(7)}  ${String(r.p50).padStart(7)} ${String(r.p99).padStart(7)}  ${r.cpuPerReq.toFixed(1).padStart(17)}  ${String(r.non2xx).padStart(7)}  ${String(r.errors).padStart(6)}`,
    );
  }
  const [alone, undici, ours] = rows as [Row, Row, Row];
  console.log("");
  console.log(`undici proxy / upstream alone : ${(undici.rps / alone.rps).toFixed(3)}`);
  console.log(`rampart / upstream alone      : ${(ours.rps / alone.rps).toFixed(3)}`);
  console.log(`rampart / undici proxy        : ${(ours.rps / undici.rps).toFixed(3)}   (target ≥ 0.9)`);

  const metrics = await fetch(`http://127.0.0.1:${rampart.adminPort}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const text = await metrics.text();
  const p50 = histogramQuantile(text, "rampart_decision_latency_seconds", 0.5);
  const p99 = histogramQuantile(text, "rampart_decision_latency_seconds", 0.99);
  console.log(`rampart decision latency     : p50 ≤ ${(p50 * 1e6).toFixed(1)} µs, p99 ≤ ${(p99 * 1e6).toFixed(1)} µs   (target p99 < 50 µs; bucket upper bounds)`);
} finally {
  for (const child of children) child.kill("SIGTERM");
}
