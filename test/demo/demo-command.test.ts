/** `rampart demo` as a user runs it: a child process, the gateway in front of the demo API, Ctrl-C. */
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { after, describe, it } from "node:test";
import { MAIN, ROOT } from "../helpers/cli-spawn.ts";

const started: ChildProcessWithoutNullStreams[] = [];
after(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

/** Starts the demo and resolves with the child and the URLs of its banner, within 15 s. */
async function startDemo(env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, [MAIN, "demo", "--port", "0", "--api-port", "0"], { cwd: ROOT, env, stdio: "pipe" });
  started.push(child);
  let stdout = "";
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const banner = await new Promise<{ gateway: string; api: string; admin: string; token: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 15 s\nstdout: ${stdout}\nstderr: ${stderr}`)), 15_000);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`demo exited with ${code}\nstdout: ${stdout}\nstderr: ${stderr}`));
    };
    child.on("exit", onExit);
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
      const gateway = /^ {2}gateway +(http:\/\/\S+)/m.exec(stdout)?.[1];
      const api = /^ {2}demo API +(http:\/\/\S+)/m.exec(stdout)?.[1];
      const admin = /^ {2}admin +(http:\/\/\S+) +token (\S+)/m.exec(stdout);
      if (gateway !== undefined && api !== undefined && admin !== null && /Ctrl-C stops/.test(stdout)) {
        clearTimeout(timer);
        child.off("exit", onExit);
        resolve({ gateway, api, admin: admin[1] as string, token: admin[2] as string });
      }
    });
  });
  return { child, banner, output: () => stdout, errors: () => stderr };
}

describe("rampart demo", () => {
  it("serves the demo API through the gateway, refuses a wrong method with 405 + Allow, and stops on SIGINT with 0", async () => {
    const env = { ...process.env };
    delete env["RAMPART_ADMIN_TOKEN"];
    const { child, banner, output, errors } = await startDemo(env);
    assert.notEqual(new URL(banner.gateway).port, new URL(banner.api).port);

    const page = await fetch(`${banner.gateway}/products?page=1`, { signal: AbortSignal.timeout(5000) });
    assert.equal(page.status, 200);
    const body = (await page.json()) as { page: number; items: unknown[] };
    assert.equal(body.page, 1);
    assert.equal(body.items.length, 20);

    const wrong = await fetch(`${banner.gateway}/products`, { method: "DELETE", signal: AbortSignal.timeout(5000) });
    assert.equal(wrong.status, 405);
    assert.match(wrong.headers.get("allow") ?? "", /\bGET\b/);
    assert.equal(wrong.headers.get("content-type"), "application/problem+json");
    await wrong.body?.cancel();

    // The generated admin token printed in the banner opens the metrics.
    assert.ok(banner.token.length >= 16);
    const metrics = await fetch(`${banner.admin}/metrics`, { headers: { authorization: `Bearer ${banner.token}` }, signal: AbortSignal.timeout(5000) });
    assert.equal(metrics.status, 200);
    await metrics.body?.cancel();
    assert.match(output(), new RegExp(`curl -H 'authorization: Bearer ${banner.token}' ${banner.admin}/metrics`));

    const startedAt = Date.now();
    child.kill("SIGINT");
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`demo did not exit within 5 s of SIGINT\nstdout: ${output()}\nstderr: ${errors()}`)), 5000);
      }),
    ]).finally(() => clearTimeout(timer));
    assert.deepEqual(exit, [0, null]);
    assert.ok(Date.now() - startedAt < 5000);
  });
});
