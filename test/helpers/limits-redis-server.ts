/** Test-owned Redis servers and clusters (redis-server on free ports, temp dirs), every wait bounded. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

/** Resolves when `check` returns true; rejects after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try { if (await check()) return; } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A free port whose cluster-bus twin (port + 10000) is free as well. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
      });
    });
    if (port > 0 && port + 10_000 <= 65_535 && await canListen(port + 10_000)) return port;
  }
  throw new Error("no free port pair found");
}

export interface RedisServer {
  readonly port: number;
  readonly process: ChildProcess;
  /** A short-lived client for assertions (INFO, CONFIG); closed by stop(). */
  readonly admin: Redis;
  kill(signal?: NodeJS.Signals): void;
  stop(): Promise<void>;
}

/** Starts `redis-server` on a free port (or `port`) with no persistence; resolves when it answers PING. */
export async function startRedis(options: { port?: number; args?: string[] } = {}): Promise<RedisServer> {
  const port = options.port ?? await freePort();
  const dir = mkdtempSync(join(tmpdir(), "rampart-redis-"));
  const child = spawn("redis-server", [
    "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir,
    ...(options.args ?? []),
  ], { stdio: "ignore" });
  const admin = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
  admin.on("error", () => { /* the server may be killed on purpose */ });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await waitFor(`redis-server on ${port}`, async () => {
    if (admin.status === "wait") await admin.connect();
    return (await admin.ping()) === "PONG";
  }, 5000);
  return {
    port, process: child, admin,
    kill(signal = "SIGKILL") { child.kill(signal); },
    async stop() {
      admin.disconnect();
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisCluster {
  readonly nodes: readonly RedisServer[];
  stop(): Promise<void>;
}

/** Starts 3 cluster-enabled servers and joins them with `redis-cli --cluster create` (no replicas). */
export async function startRedisCluster(): Promise<RedisCluster> {
  const nodes: RedisServer[] = [];
  const stop = async () => { await Promise.all(nodes.map((n) => n.stop())); };
  try {
    for (let i = 0; i < 3; i++) {
      nodes.push(await startRedis({ args: ["--cluster-enabled", "yes", "--cluster-config-file", `nodes-${i}.conf`, "--cluster-node-timeout", "2000"] }));
    }
    const created = spawnSync("redis-cli", [
      "--cluster", "create", ...nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-replicas", "0", "--cluster-yes",
    ], { encoding: "utf8", timeout: 15_000 });
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    await waitFor("cluster_state:ok on every node", async () => {
      for (const n of nodes) {
        if (!String(await n.admin.cluster("INFO")).includes("cluster_state:ok")) return false;
      }
      return true;
    }, 10_000);
    return { nodes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `calls` of one command from INFO commandstats (0 when never called). */
export async function commandCalls(admin: Redis, command: string): Promise<number> {
  const info = await admin.info("commandstats");
  const match = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info);
  return match === null ? 0 : Number(match[1]);
}
