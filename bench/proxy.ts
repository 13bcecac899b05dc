/**
 * bench:proxy — one run, one load generator, side by side: the upstream alone, a minimal
 * undici proxy (the baseline), and Rampart with the gate layer on. Prints requests/s, p50/p99
 * latency and server CPU µs per request for each, the ratios, and Rampart's decision latency
 * quantiles from its own µs histogram. Load stays on 127.0.0.1 and stops by itself.
 *
 *   npm run bench:proxy [-- --duration 10 --connections 50]
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { adminMetrics, benchGatewayYaml, loadServer, startServer, type LoadRow } from "./harness.ts";
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

const options = { connections, duration, warmup };
const url = (port: number): string => `http://127.0.0.1:${port}/api/items/42`;

function rampartConfig(upstreamPort: number, logFile: string): string {
  const routes = `  - path: /api/items/:id
    methods: [GET]
    upstream: api
  - path: /api/login
    methods: [POST]
    upstream: api
    cors: { origins: ["https://app.example"] }`;
  return benchGatewayYaml(upstreamPort, logFile, routes, `ip:\n  deny: [192.0.2.0/24, 198.51.100.0/24, "2001:db8::/32"]`);
}

const dir = mkdtempSync(join(tmpdir(), "rampart-bench-"));
const children: ChildProcess[] = [];
try {
  const upstream = await startServer("servers/upstream.ts", []);
  children.push(upstream.child);
  const baseline = await startServer("servers/undici-proxy.ts", [`http://127.0.0.1:${upstream.port}`]);
  children.push(baseline.child);
  const configFile = join(dir, "rampart.yaml");
  writeFileSync(configFile, rampartConfig(upstream.port, join(dir, "requests.log")));
  const rampart = await startServer("servers/rampart.ts", [configFile]);
  children.push(rampart.child);

  console.log(`bench:proxy — ${duration} s per target, ${connections} connections, autocannon, 127.0.0.1\n`);
  const rows = [
    await loadServer("upstream alone", url(upstream.port), upstream.child, options),
    await loadServer("minimal undici proxy", url(baseline.port), baseline.child, options),
    await loadServer("rampart (gate layer)", url(rampart.port), rampart.child, options),
  ];
  console.log("target                    req/s     p50 ms  p99 ms  server CPU µs/req  non-2xx  errors");
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(24)} ${r.rps.toFixed(0).padStart(7)}  ${String(r.p50).padStart(7)} ${String(r.p99).padStart(7)}  ${r.cpuPerReq.toFixed(1).padStart(17)}  ${String(r.non2xx).padStart(7)}  ${String(r.errors).padStart(6)}`,
    );
  }
  const [alone, undici, ours] = rows as [LoadRow, LoadRow, LoadRow];
  console.log("");
  console.log(`undici proxy / upstream alone : ${(undici.rps / alone.rps).toFixed(3)}`);
  console.log(`rampart / upstream alone      : ${(ours.rps / alone.rps).toFixed(3)}`);
  console.log(`rampart / undici proxy        : ${(ours.rps / undici.rps).toFixed(3)}   (target ≥ 0.9)`);

  const text = await adminMetrics(rampart.adminPort as number);
  const p50 = histogramQuantile(text, "rampart_decision_latency_seconds", 0.5);
  const p99 = histogramQuantile(text, "rampart_decision_latency_seconds", 0.99);
  console.log(`rampart decision latency     : p50 ≤ ${(p50 * 1e6).toFixed(1)} µs, p99 ≤ ${(p99 * 1e6).toFixed(1)} µs   (target p99 < 50 µs; bucket upper bounds)`);
} finally {
  for (const child of children) child.kill("SIGTERM");
}
