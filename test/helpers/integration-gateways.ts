/** Real gateway processes for integration tests: config files, spawn, readiness polling, bounded stop; and a counting upstream. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Redis } from "ioredis";
import { Pool } from "undici";

const FIXTURE = resolve(import.meta.dirname, "../fixtures/integration-gateway-run.ts");
export const ADMIN_TOKEN = "integration-admin-token-0123456789";

export interface CountingUpstream {
  readonly url: string;
  /** Requests answered, by path. */
  readonly hits: Map<string, number>;
  close(): Promise<void>;
}

/** An upstream that answers 200 with a small JSON body and counts what reached it. */
export async function startCountingUpstream(): Promise<CountingUpstream> {
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    hits.set(path, (hits.get(path) ?? 0) + 1);
    req.resume();
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"ok":true}');
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () => new Promise<void>((done) => { server.closeAllConnections(); server.close(() => done()); }),
  };
}

export interface ConfigParts {
  readonly upstream: string;
  /** YAML of the `routes:` list items, indented by 2. */
  readonly routes: string;
  /** YAML under `stores:`, indented by 2 (optional). */
  readonly stores?: string;
}

/** A whole rampart.yaml: one listener and an admin listener on port 0, a token, a short drain, the log in `logFile`. */
export function gatewayYaml(parts: ConfigParts, logFile: string): string {
  return `
listeners:
  - port: 0
    address: 127.0.0.1
upstreams:
  api:
    targets: ["${parts.upstream}"]
routes:
${parts.routes}
${parts.stores === undefined ? "" : `stores:\n${parts.stores}`}
logging:
  destination: ${logFile}
admin:
  address: 127.0.0.1
  port: 0
  tokens: [{ name: ops, token: ${ADMIN_TOKEN} }]
shutdown:
  drain_timeout: 1s
`;
}

export interface GatewayProcess {
  readonly url: string;
  readonly adminUrl: string;
  readonly child: ChildProcess;
  /** The gateway's log so far (for assertion messages). */
  log(): string;
  /** /readyz as JSON, with its HTTP status. */
  readiness(): Promise<{ status: number; body: { status: string; checks: Record<string, { ok: boolean; detail?: string }> } }>;
  /** SIGTERM, then SIGKILL after 5 s; removes its files. */
  stop(): Promise<void>;
}

/** Writes the config and starts `integration-gateway-run.ts` on it; resolves once it printed where it listens (15 s at most). */
export async function spawnGateway(parts: ConfigParts): Promise<GatewayProcess> {
  const dir = mkdtempSync(join(tmpdir(), "rampart-integration-"));
  const logFile = join(dir, "gateway.log");
  const file = join(dir, "rampart.yaml");
  writeFileSync(file, gatewayYaml(parts, logFile));
  const child = spawn(process.execPath, [FIXTURE, file], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const log = (): string => { try { return readFileSync(logFile, "utf8"); } catch { return ""; } };
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const late = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(late);
    rmSync(dir, { recursive: true, force: true });
  };
  let where: { url: string; adminUrl: string };
  try {
    where = await new Promise((done, fail) => {
      let out = "";
      const timer = setTimeout(() => fail(new Error(`gateway did not start within 15 s\n${stderr}\n${log()}`)), 15_000);
      child.stdout?.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const newline = out.indexOf("\n");
        if (newline === -1) return;
        clearTimeout(timer);
        done(JSON.parse(out.slice(0, newline)) as { url: string; adminUrl: string });
      });
      child.once("exit", (code) => { clearTimeout(timer); fail(new Error(`gateway exited with ${code}\n${stderr}\n${log()}`)); });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    ...where,
    child,
    log,
    async readiness() {
      const res = await fetch(`${where.adminUrl}/readyz`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: AbortSignal.timeout(2000) });
      return { status: res.status, body: await res.json() as { status: string; checks: Record<string, { ok: boolean; detail?: string }> } };
    },
    stop,
  };
}

/** Polls /readyz until `accept` says yes (default: 200 and every check ok); rejects after `timeoutMs`. */
export async function waitUntilReady(
  gateway: GatewayProcess, timeoutMs = 10_000,
  accept: (r: Awaited<ReturnType<GatewayProcess["readiness"]>>) => boolean = (r) => r.status === 200 && Object.values(r.body.checks).every((c) => c.ok),
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    try {
      const state = await gateway.readiness();
      if (accept(state)) return;
      last = JSON.stringify(state);
    } catch (error) {
      last = String(error);
    }
    if (Date.now() > deadline) throw new Error(`gateway not ready within ${timeoutMs} ms: ${last}\n${gateway.log().slice(-2000)}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

export interface Answer {
  readonly status: number;
  /** Time from sending to the end of the body, ms. */
  readonly ms: number;
  /** When the request was sent (performance.now()). */
  readonly sentAt: number;
}

/** One GET through `pool`; the body is read so the connection is reused. Network failures reject. */
export async function get(pool: Pool, path: string, timeoutMs = 5000): Promise<Answer> {
  const sentAt = performance.now();
  const res = await pool.request({ method: "GET", path, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  await res.body.dump();
  return { status: res.statusCode, ms: performance.now() - sentAt, sentAt };
}

/** A keep-alive pool to a gateway. */
export function poolTo(url: string, connections = 50): Pool {
  return new Pool(url, { connections, keepAliveTimeout: 10_000 });
}

/** A key prefix no other test or run uses. */
export function uniquePrefix(name: string): string {
  return `t:${name}:${process.pid}:${Date.now().toString(36)}:${Math.random().toString(36).slice(2, 8)}:`;
}

/** Deletes every key under `prefix` on the shared Redis (127.0.0.1:6379): tests leave nothing behind. */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis({ host: "127.0.0.1", port: 6379, lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000 });
  try {
    await redis.connect();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

/** Waits (bounded) until the gateway's log matches `pattern`: the log is written asynchronously. */
export async function waitForLog(gateway: GatewayProcess, pattern: RegExp, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(gateway.log())) {
    if (Date.now() > deadline) throw new Error(`the log did not show ${pattern} within ${timeoutMs} ms:\n${gateway.log().slice(-2000)}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}
