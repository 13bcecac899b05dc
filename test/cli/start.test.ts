/** `rampart start` as a child process: serves, reports its URLs, exits 2 on a bad config, 1 when it cannot bind, 0 on SIGTERM. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createTcpServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { MAIN, ROOT, runRampart } from "../helpers/cli-spawn.ts";

const dir = mkdtempSync(join(tmpdir(), "rampart-start-"));
let upstream: Server;
let upstreamPort: number;

before(async () => {
  upstream = createServer((req, res) => res.end(`upstream saw ${req.method} ${req.url}`));
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  upstreamPort = (upstream.address() as AddressInfo).port;
});
after(async () => {
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function config(name: string, listenerPort: number): string {
  const file = join(dir, name);
  writeFileSync(file, `listeners:
  - { address: 127.0.0.1, port: ${listenerPort} }
upstreams:
  app: { targets: ["http://127.0.0.1:${upstreamPort}"] }
routes:
  - { path: /hello, methods: [GET], upstream: app }
logging: { level: silent }
admin: { enabled: false }
`);
  return file;
}

describe("rampart start", () => {
  it("serves through the gateway, prints the listener URL on stderr, and exits 0 on SIGTERM", async () => {
    const child = spawn(process.execPath, [MAIN, "start", "-c", config("good.yaml", 0)], { cwd: ROOT, stdio: "pipe" });
    try {
      let stderr = "";
      let onEarlyExit: (code: number | null) => void = () => {};
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listener line within 10 s: ${stderr}`)), 10_000);
        child.stderr.setEncoding("utf8").on("data", (text: string) => {
          stderr += text;
          const found = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1];
          if (found !== undefined) {
            clearTimeout(timer);
            resolve(found);
          }
        });
        onEarlyExit = (code) => {
          clearTimeout(timer);
          reject(new Error(`exited with ${code}: ${stderr}`));
        };
        child.on("exit", onEarlyExit);
      });
      const res = await fetch(`${url}/hello`, { signal: AbortSignal.timeout(5000) });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "upstream saw GET /hello");
      child.off("exit", onEarlyExit);
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("no exit within 5 s of SIGTERM")), 5000);
        }),
      ]).finally(() => clearTimeout(timer));
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });

  it("a config with errors exits 2 and prints them", async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "listeners: []\nupstreams: {}\nroutes: []\n");
    const run = await runRampart(["start", "-c", file]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+:\\d+ listeners`));
  });

  it("a port that cannot be bound is a runtime failure: exit 1", async () => {
    const taken = createTcpServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const run = await runRampart(["start", "-c", config("taken.yaml", (taken.address() as AddressInfo).port)]);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /EADDRINUSE|in use/i);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
