/** runGatewayFromFile in a child process: SIGTERM drains, broken reloads (SIGHUP, file change) keep the old config. */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { runGatewayFromFile } from "../../src/gateway/run.ts";
import { eventually, tempFolder, writeText } from "../helpers/server-gateway.ts";
import { startRecordingUpstream, type RecordingUpstream } from "../helpers/server-upstream.ts";

const FIXTURE = fileURLToPath(new URL("../fixtures/gateway-run.ts", import.meta.url));

function configText(upstream: string, logFile: string, routes: string): string {
  return `
listeners:
  - name: main
    address: 127.0.0.1
    port: 0
upstreams:
  api:
    targets: ["${upstream}"]
routes:
  - id: slow
    path: /slow
    methods: [GET]
    upstream: api
${routes}
logging:
  destination: ${logFile}
admin:
  enabled: false
shutdown:
  drain_timeout: 5s
`;
}

interface Child {
  readonly process: ChildProcess;
  readonly url: string;
  readonly exit: Promise<number | null>;
}

async function startChild(configFile: string): Promise<Child> {
  const child = spawn(process.execPath, [FIXTURE, configFile], { stdio: ["ignore", "pipe", "pipe"] });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`child not ready in 10 s: ${stderr}`)), 10_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf("\n");
      if (newline === -1) return;
      clearTimeout(timer);
      const ready = JSON.parse(out.slice(0, newline)) as { listeners: Array<{ url: string }> };
      resolve((ready.listeners[0] as { url: string }).url);
    });
    void exit.then((code) => reject(new Error(`child exited with ${code}: ${stderr}`)));
  });
  return { process: child, url, exit };
}

function logLines(file: string): Array<Record<string, unknown>> {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as Record<string, unknown>);
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result in ${ms} ms`)), ms)));
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

describe("runGatewayFromFile", () => {
  let upstream: RecordingUpstream;
  const children: ChildProcess[] = [];
  before(async () => {
    upstream = await startRecordingUpstream();
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    await upstream.close();
  });

  it("returns exit code 2 with every issue for a broken file", async () => {
    const folder = tempFolder();
    const file = join(folder, "rampart.yaml");
    writeText(file, "listeners: []\nupstreams: {}\nroutes: []\nbogus: 1\n");
    const result = await runGatewayFromFile(file, { signals: false, watch: false });
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.exitCode, 2);
    assert.ok(result.issues.length >= 2, result.message);
    assert.match(result.message, /rampart\.yaml:\d+:\d+/);
  });

  it("returns exit code 1 when a listener cannot bind", async () => {
    const folder = tempFolder();
    const file = join(folder, "rampart.yaml");
    const port = Number(new URL(upstream.url).port);
    writeText(file, configText(upstream.url, join(folder, "log.jsonl"), "").replace("port: 0", `port: ${port}`));
    const result = await runGatewayFromFile(file, { signals: false, watch: false });
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.exitCode, 1);
    assert.match(result.message, /EADDRINUSE/);
  });

  it("drains an in-flight slow request on SIGTERM, then exits 0", async () => {
    const folder = tempFolder();
    const file = join(folder, "rampart.yaml");
    writeText(file, configText(upstream.url, join(folder, "log.jsonl"), ""));
    const child = await startChild(file);
    children.push(child.process);
    const slow = fetch(`${child.url}/slow?ms=1500`);
    await eventually(() => upstream.seen.some((seen) => seen.url === "/slow?ms=1500"), 3000, "the slow request upstream");
    child.process.kill("SIGTERM");
    const res = await withDeadline(slow, 5000, "slow request");
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.equal(await withDeadline(child.exit, 8000, "exit"), 0);
    await assert.rejects(fetch(`${child.url}/slow?ms=0`), "no longer accepting");
  });

  it("keeps the running config when a reload (SIGHUP or file change) is broken, and applies a good one", async () => {
    const folder = tempFolder();
    const file = join(folder, "rampart.yaml");
    const logFile = join(folder, "log.jsonl");
    writeText(file, configText(upstream.url, logFile, ""));
    const child = await startChild(file);
    children.push(child.process);
    const status = async (path: string): Promise<number> => {
      const res = await fetch(`${child.url}${path}`);
      await res.arrayBuffer();
      return res.status;
    };
    assert.equal(await status("/slow"), 200);
    assert.equal(await status("/extra"), 404);

    // SIGHUP with a broken file.
    writeText(file, configText(upstream.url, logFile, "  - path: /extra\n    methods: [FETCH]\n    upstream: api\n"));
    child.process.kill("SIGHUP");
    await eventually(() => logLines(logFile).some((line) => String(line["msg"]).includes("reload refused")), 5000, "reload refused (SIGHUP)");
    assert.ok(logLines(logFile).some((line) => /methods\[0\]/.test(String(line["msg"]))), "every issue is logged with its path");
    assert.equal(await status("/slow"), 200);
    assert.equal(await status("/extra"), 404);

    // A file change with another broken file.
    const refusedBefore = logLines(logFile).filter((line) => String(line["msg"]).includes("reload refused")).length;
    writeText(file, configText(upstream.url, logFile, "  - path: /extra\n    methods: [GET]\n    upstream: nowhere\n"));
    await eventually(
      () => logLines(logFile).filter((line) => String(line["msg"]).includes("reload refused")).length > refusedBefore,
      5000,
      "reload refused (file change)",
    );
    assert.equal(await status("/slow"), 200);
    assert.equal(await status("/extra"), 404);

    // A good file is applied on change.
    writeText(file, configText(upstream.url, logFile, "  - id: extra\n    path: /extra\n    methods: [GET]\n    upstream: api\n"));
    await eventually(() => logLines(logFile).some((line) => line["msg"] === "config reloaded"), 5000, "config reloaded");
    assert.equal(await status("/extra"), 200);

    child.process.kill("SIGINT");
    assert.equal(await withDeadline(child.exit, 8000, "exit"), 0);
  });
});
