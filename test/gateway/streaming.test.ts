/** 1 GB up and 1 GB down through the whole gateway while the gateway process's RSS stays within 64 MB of its baseline. */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { startUpstream, withTimeout, type TestServer } from "../helpers/upstream-front.ts";

const GIB = 1024 ** 3;
const CHUNK = Buffer.alloc(64 * 1024, 0x61);
const RSS_BUDGET = 64 * 1024 * 1024;
const fixture = fileURLToPath(new URL("../fixtures/gateway-streaming-process.ts", import.meta.url));

let upstream: TestServer;
let child: ChildProcess;
let frontUrl: string;

/** Writes `total` bytes of one reused buffer, honouring backpressure; nothing is held in memory. */
function writeGenerated(stream: NodeJS.WritableStream, total: number, done: () => void): void {
  let left = total;
  const pump = (): void => {
    while (left > 0) {
      const size = Math.min(left, CHUNK.length);
      left -= size;
      const more = stream.write(size === CHUNK.length ? CHUNK : CHUNK.subarray(0, size));
      if (!more) { stream.once("drain", pump); return; }
    }
    done();
  };
  pump();
}

function countBody(res: IncomingMessage): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    res.on("data", (chunk: Buffer) => { bytes += chunk.length; });
    res.on("end", () => resolve(bytes));
    res.on("error", reject);
    res.on("aborted", () => reject(new Error("response aborted")));
  });
}

function ask<T>(message: string, key: keyof T & string): Promise<T> {
  return withTimeout(new Promise<T>((resolve) => {
    const onMessage = (reply: unknown): void => {
      if (typeof reply === "object" && reply !== null && key in reply) {
        child.off("message", onMessage);
        resolve(reply as T);
      }
    };
    child.on("message", onMessage);
    if (message !== "") child.send(message);
  }), 5_000, `the proxy process to answer ${message || key}`);
}

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
const rss = async (): Promise<number> => (await ask<{ rss: number }>("rss", "rss")).rss;

/** Samples the proxy's RSS while `work` runs; returns the highest value seen. */
async function peakRssDuring(work: Promise<unknown>): Promise<number> {
  let peak = await rss();
  let running = true;
  const sampler = (async () => {
    while (running) {
      peak = Math.max(peak, await rss());
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  try {
    await work;
  } finally {
    running = false;
    await sampler;
  }
  return Math.max(peak, await rss());
}

function upload(bytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${frontUrl}/upload`, { method: "PUT", agent: false, headers: { "content-length": String(bytes) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve(`${res.statusCode} ${Buffer.concat(chunks).toString()}`));
    });
    req.on("error", reject);
    writeGenerated(req, bytes, () => req.end());
  });
}

function download(bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${frontUrl}/download?bytes=${bytes}`, { agent: false }, (res) => {
      countBody(res).then(resolve, reject);
    });
    req.on("error", reject);
    req.end();
  });
}

before(async () => {
  upstream = await startUpstream((req, res) => {
    if (req.url === "/upload") {
      countBody(req).then((bytes) => res.end(String(bytes)), () => res.destroy());
      return;
    }
    const bytes = Number(new URL(req.url ?? "/", "http://x").searchParams.get("bytes"));
    res.writeHead(200, { "content-length": String(bytes) });
    writeGenerated(res, bytes, () => res.end());
  });
  child = spawn(process.execPath, [fixture, upstream.url], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  frontUrl = (await ask<{ url: string }>("", "url")).url;
  // Warm up both paths so the baseline includes compiled code and steady-state buffers.
  assert.equal(await upload(64 * 1024 * 1024), `200 ${64 * 1024 * 1024}`);
  assert.equal(await download(64 * 1024 * 1024), 64 * 1024 * 1024);
});

after(async () => {
  if (child.connected) {
    child.send("close");
    await withTimeout(once(child, "exit"), 5_000, "the proxy process to exit").catch(() => child.kill());
  }
  await upstream.close();
});

test("a 1 GB upload streams through without growing the gateway's RSS by 64 MB", async (t) => {
  const baseline = await rss();
  let answer = "";
  const peak = await peakRssDuring(upload(GIB).then((text) => { answer = text; }));
  assert.equal(answer, `200 ${GIB}`);
  t.diagnostic(`gateway RSS baseline ${mb(baseline)} MB, peak ${mb(peak)} MB`);
  assert.ok(peak - baseline < RSS_BUDGET, `RSS grew by ${mb(peak - baseline)} MB`);
});

test("a 1 GB download streams through without growing the gateway's RSS by 64 MB", async (t) => {
  const baseline = await rss();
  let received = 0;
  const peak = await peakRssDuring(download(GIB).then((bytes) => { received = bytes; }));
  assert.equal(received, GIB);
  t.diagnostic(`gateway RSS baseline ${mb(baseline)} MB, peak ${mb(peak)} MB`);
  assert.ok(peak - baseline < RSS_BUDGET, `RSS grew by ${mb(peak - baseline)} MB`);
});
