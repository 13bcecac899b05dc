/** Two Node processes sharing one Redis: 2 × 500 concurrent admissions against a limit of 300 admit exactly 300. */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { startRedis, type RedisServer } from "../helpers/limits-redis-server.ts";

const CHILD = fileURLToPath(new URL("../helpers/limits-admit-child.ts", import.meta.url));

function lines(child: ChildProcess): AsyncIterator<string> {
  let buffer = "";
  const queue: string[] = [];
  const waiters: Array<(line: string) => void> = [];
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    buffer += chunk;
    for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const waiter = waiters.shift();
      if (waiter !== undefined) waiter(line); else queue.push(line);
    }
  });
  return {
    next: () => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("child said nothing for 15 s")), 15_000);
      const take = (line: string) => { clearTimeout(timer); resolve({ value: line, done: false }); };
      const queued = queue.shift();
      if (queued !== undefined) take(queued); else waiters.push(take);
    }),
  };
}

describe("two processes sharing one Redis", () => {
  let server: RedisServer;
  before(async () => { server = await startRedis(); });
  after(async () => { await server.stop(); });

  it("admit exactly the limit between them (2 × 500 concurrent against 300)", async () => {
    const prefix = `t:${randomBytes(4).toString("hex")}:`;
    const now = String(Date.UTC(2026, 0, 5, 12));
    const children = [0, 1].map(() => spawn(process.execPath, [CHILD, String(server.port), prefix, "500", "300", now], { stdio: ["pipe", "pipe", "inherit"] }));
    try {
      const outputs = children.map(lines);
      for (const out of outputs) assert.equal((await out.next()).value, "ready");
      for (const child of children) child.stdin!.write("go\n");
      const tallies = await Promise.all(outputs.map(async (out) => JSON.parse((await out.next()).value as string) as { allowed: number; denied: number; unavailable: number }));
      assert.deepEqual(tallies.map((t) => t.unavailable), [0, 0]);
      assert.equal(tallies[0]!.allowed + tallies[1]!.allowed, 300, `allowed per process: ${tallies.map((t) => t.allowed).join(" + ")}`);
      assert.equal(tallies[0]!.denied + tallies[1]!.denied, 700);
    } finally {
      for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
