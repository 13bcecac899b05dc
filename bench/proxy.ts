/**
 * bench:proxy — one run, one load generator, side by side: the upstream alone, a minimal
 * undici proxy (the baseline), and Rampart with the gate layer on, in mirrored order round after
 * round (see loadMirrored), the two proxies on a CPU of their own and the upstream with the load
 * generator (see pinCores). Prints requests/s, p50/p99 latency and server CPU µs per request
 * for each, the ratios, and Rampart's decision latency quantiles from its own µs histogram.
 * Load stays on 127.0.0.1 and stops by itself.
 *
 *   npm run bench:proxy [-- --rounds 10 --round-seconds 1 --connections 50]
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { adminMetrics, benchGatewayYaml, describeCores, loadMirrored, pinCores, startServer, type Target } from "./harness.ts";
import { histogramQuantile } from "./prometheus.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "10" },
    "round-seconds": { type: "string", default: "1" },
    connections: { type: "string", default: "50" },
    warmup: { type: "string", default: "2" },
  },
});
const rounds = Number(values.rounds);
const roundSeconds = Number(values["round-seconds"]);
const connections = Number(values.connections);
const warmup = Number(values.warmup);

const target = (name: string, server: { child: ChildProcess; port: number }): Target =>
  ({ name, replicas: [{ url: `http://127.0.0.1:${server.port}/api/items/42`, server: server.child }] });

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

const cores = pinCores();
const dir = mkdtempSync(join(tmpdir(), "rampart-bench-"));
const children: ChildProcess[] = [];
try {
  const upstream = await startServer("servers/upstream.ts", [], cores?.load);
  children.push(upstream.child);
  const baseline = await startServer("servers/undici-proxy.ts", [`http://127.0.0.1:${upstream.port}`], cores?.measured);
  children.push(baseline.child);
  const configFile = join(dir, "rampart.yaml");
  writeFileSync(configFile, rampartConfig(upstream.port, join(dir, "requests.log")));
  const rampart = await startServer("servers/rampart.ts", [configFile], cores?.measured);
  children.push(rampart.child);

  console.log(`bench:proxy — ${rounds} rounds of ${roundSeconds} s per run in mirrored order against the undici proxy, ${connections} connections, autocannon, 127.0.0.1`);
  console.log(`${describeCores(cores)}\n`);
  const alone = target("upstream alone", upstream);
  const undici = target("minimal undici proxy", baseline);
  const ours = target("rampart (gate layer)", rampart);
  const { rows, ratios } = await loadMirrored([{ baseline: undici, variants: [ours, alone] }], {
    connections, roundSeconds, rounds, warmup, onRound: (round) => process.stderr.write(`round ${round}/${rounds} done\n`),
  });
  console.log("target                    req/s     p50 ms  p99 ms  server CPU µs/req  non-2xx  errors");
  for (const t of [alone, undici, ours]) {
    const r = rows.get(t)!;
    console.log(
      `${r.name.padEnd(24)} ${r.rps.toFixed(0).padStart(7)}  ${String(r.p50).padStart(7)} ${String(r.p99).padStart(7)}  ${r.cpuPerReq.toFixed(1).padStart(17)}  ${String(r.non2xx).padStart(7)}  ${String(r.errors).padStart(6)}`,
    );
  }
  const ratio = ratios.get(ours)!;
  console.log("");
  console.log(`undici proxy / upstream alone : ${(1 / ratios.get(alone)!.median).toFixed(3)}`);
  console.log(`rampart / undici proxy        : ${ratio.median.toFixed(3)}   (median of ${rounds} rounds, ${ratio.min.toFixed(3)}–${ratio.max.toFixed(3)}; all requests: ${ratio.total.toFixed(3)})   (target ≥ 0.9)`);

  const text = await adminMetrics(rampart.adminPort as number);
  const p50 = histogramQuantile(text, "rampart_decision_latency_seconds", 0.5);
  const p99 = histogramQuantile(text, "rampart_decision_latency_seconds", 0.99);
  console.log(`rampart decision latency     : p50 ≤ ${(p50 * 1e6).toFixed(1)} µs, p99 ≤ ${(p99 * 1e6).toFixed(1)} µs   (target p99 < 50 µs; bucket upper bounds)`);
} finally {
  for (const child of children) child.kill("SIGTERM");
}
