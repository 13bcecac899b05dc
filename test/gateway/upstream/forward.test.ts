/** forward(): bodies, headers, keep-alive and failure answers, through a real front and real upstreams. */
import assert from "node:assert/strict";
import { once } from "node:events";
import { request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { test } from "node:test";
import {
  closedPort, send, trackedServers, upstreamConfig, withTimeout,
} from "../../helpers/upstream-front.ts";

const { upstream, front } = trackedServers();

/** Echoes what the upstream received, as JSON. */
function echo(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks).toString() });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 5_000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface Echoed { method: string; url: string; headers: Record<string, string>; rawHeaders: string[]; body: string }

test("GET and POST pass through with status, body and the base path prefixed", async () => {
  const api = await upstream(echo);
  const proxy = await front(upstreamConfig([`${api.url}/base`]));
  const got = await send(`${proxy.url}/users/7?x=1`);
  assert.equal(got.status, 200);
  const echoed = JSON.parse(got.body.toString()) as Echoed;
  assert.equal(echoed.method, "GET");
  assert.equal(echoed.url, "/base/users/7?x=1");
  const posted = await send(`${proxy.url}/login`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"u":"a"}' });
  const echoedPost = JSON.parse(posted.body.toString()) as Echoed;
  assert.equal(echoedPost.method, "POST");
  assert.equal(echoedPost.body, '{"u":"a"}');
  assert.equal(echoedPost.headers["content-length"], "9");
  const result = await proxy.result(1);
  assert.equal(result.status, 200);
  assert.equal(result.bytesIn, 9);
  assert.equal(result.bytesOut, posted.body.length);
  assert.equal(result.error, undefined);
  assert.equal(result.aborted, false);
  assert.equal(result.target, api.url);
  assert.ok(result.upstreamMs !== undefined && result.upstreamMs >= 0);
});

test("chunked request and response bodies stream through", async () => {
  const api = await upstream((req, res) => {
    let received = 0;
    req.on("data", (chunk: Buffer) => { received += chunk.length; });
    req.on("end", () => {
      res.writeHead(200, { "x-request-te": req.headers["transfer-encoding"] ?? "none" });
      for (let i = 0; i < 5; i++) res.write(`part${i};`);
      res.end(`received=${received}`);
    });
  });
  const proxy = await front(upstreamConfig([api.url]));
  const got = await send(`${proxy.url}/upload`, { method: "POST", body: ["a".repeat(1000), "b".repeat(2000), "c".repeat(3000)] });
  assert.equal(got.status, 200);
  assert.equal(got.headers["x-request-te"], "chunked");
  assert.equal(got.headers["transfer-encoding"], "chunked");
  assert.equal(got.body.toString(), "part0;part1;part2;part3;part4;received=6000");
  assert.equal((await proxy.result(0)).bytesIn, 6000);
});

test("a body prefix read by the front is sent before the rest of the body", async () => {
  const api = await upstream(echo);
  const proxy = await front(upstreamConfig([api.url]), { readPrefix: true });
  const body = ["first-chunk|", "second|", "third"];
  const got = await send(`${proxy.url}/p`, { method: "POST", body });
  assert.equal((JSON.parse(got.body.toString()) as Echoed).body, body.join(""));
});

test("hop-by-hop headers are removed both ways and X-Forwarded-*/Forwarded are set by the proxy", async () => {
  const api = await upstream((req, res) => {
    res.setHeader("connection", "x-upstream-hop");
    res.setHeader("x-upstream-hop", "secret");
    res.setHeader("keep-alive", "timeout=5");
    res.setHeader("proxy-authenticate", "Basic");
    res.setHeader("set-cookie", ["a=1", "b=2"]);
    echo(req, res);
  });
  const proxy = await front(upstreamConfig([api.url]), { extraHeaders: { "ratelimit-policy": "10;w=60" } });
  const got = await send(`${proxy.url}/h`, {
    headers: {
      connection: "keep-alive, x-client-hop",
      "x-client-hop": "1",
      "keep-alive": "timeout=99",
      te: "trailers",
      "proxy-authorization": "Basic Zm9vOmJhcg==",
      "proxy-connection": "keep-alive",
      "x-forwarded-for": "6.6.6.6",
      "x-forwarded-proto": "https",
      "x-forwarded-host": "evil.example",
      forwarded: "for=6.6.6.6",
      "x-request-id": "forged",
      "x-end-to-end": "kept",
    },
  });
  const echoed = JSON.parse(got.body.toString()) as Echoed;
  for (const name of ["x-client-hop", "keep-alive", "te", "proxy-authorization", "proxy-connection", "transfer-encoding"]) {
    assert.equal(echoed.headers[name], undefined, `${name} must not reach the upstream`);
  }
  assert.notEqual(echoed.headers.connection, "keep-alive, x-client-hop");
  assert.equal(echoed.headers["x-end-to-end"], "kept");
  const frontHost = new URL(proxy.url).host;
  assert.equal(echoed.headers["x-forwarded-for"], "127.0.0.1");
  assert.equal(echoed.headers["x-forwarded-proto"], "http");
  assert.equal(echoed.headers["x-forwarded-host"], frontHost);
  assert.equal(echoed.headers.forwarded, `for=127.0.0.1;proto=http;host="${frontHost}"`);
  assert.equal(echoed.headers["x-request-id"], "req-1");
  assert.equal(echoed.headers.host, new URL(api.url).host);
  // One of each: the forged copies are gone, not merely joined.
  const count = (name: string) => echoed.rawHeaders.filter((_, i) => i % 2 === 0 && echoed.rawHeaders[i]?.toLowerCase() === name).length;
  for (const name of ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded", "x-request-id"]) assert.equal(count(name), 1, name);

  assert.equal(got.headers["x-upstream-hop"], undefined);
  assert.equal(got.headers["proxy-authenticate"], undefined);
  assert.deepEqual(got.headers["set-cookie"], ["a=1", "b=2"]);
  assert.equal(got.headers["ratelimit-policy"], "10;w=60");
});

test("keep-alive: many requests toward the upstream reuse at most connectionsPerTarget sockets", async () => {
  const api = await upstream((_req, res) => res.end("ok"));
  const proxy = await front(upstreamConfig([api.url], { connectionsPerTarget: 2 }));
  for (let i = 0; i < 40; i++) assert.equal((await send(`${proxy.url}/k`)).status, 200);
  for (let round = 0; round < 5; round++) {
    const replies = await Promise.all(Array.from({ length: 8 }, () => send(`${proxy.url}/k`)));
    assert.ok(replies.every((reply) => reply.status === 200));
  }
  assert.ok(api.sockets.length >= 1 && api.sockets.length <= 2, `upstream saw ${api.sockets.length} sockets`);
});

test("upstream down → 502 problem+json, error connect", async () => {
  const proxy = await front(upstreamConfig([`http://127.0.0.1:${await closedPort()}`]));
  const got = await send(`${proxy.url}/x`);
  assert.equal(got.status, 502);
  assert.equal(got.headers["content-type"], "application/problem+json");
  assert.deepEqual(JSON.parse(got.body.toString()), { type: "about:blank", title: "Bad Gateway", status: 502 });
  const result = await proxy.result(0);
  assert.equal(result.error, "connect");
  assert.equal(result.upstreamMs, undefined);
});

test("slow upstream → 504 within the response headers timeout", async () => {
  const api = await upstream(() => { /* never answers */ });
  const proxy = await front(upstreamConfig([api.url], { responseHeadersTimeoutMs: 600 }));
  const started = performance.now();
  const got = await send(`${proxy.url}/slow`);
  const elapsed = performance.now() - started;
  assert.equal(got.status, 504);
  assert.equal(got.headers["content-type"], "application/problem+json");
  assert.ok(elapsed >= 550 && elapsed < 1600, `answered after ${elapsed} ms`);
  assert.equal((await proxy.result(0)).error, "timeout");
});

test("client abort while waiting for the answer cancels the upstream request", async () => {
  let upstreamClosed: Promise<unknown> | undefined;
  const arrived = Promise.withResolvers<void>();
  const api = await upstream((_req, res) => {
    upstreamClosed = once(res, "close");
    arrived.resolve();
  });
  const proxy = await front(upstreamConfig([api.url]));
  const client = httpRequest(`${proxy.url}/wait`, { agent: false });
  client.on("error", () => { /* we abort it */ });
  client.end();
  await withTimeout(arrived.promise, 5_000, "the request at the upstream");
  client.destroy();
  await withTimeout(upstreamClosed as Promise<unknown>, 1_000, "the upstream to see the request closed");
  const result = await proxy.result(0);
  assert.equal(result.aborted, true);
  assert.equal(result.status, 499);
});

test("a request aborted while queued for a connection never reaches the upstream", async () => {
  const seen: string[] = [];
  const held: ServerResponse[] = [];
  const api = await upstream((req, res) => {
    seen.push(req.url ?? "");
    if (req.url === "/hold") held.push(res);
    else res.end("ok");
  });
  const proxy = await front(upstreamConfig([api.url], { connectionsPerTarget: 1 }));
  const first = send(`${proxy.url}/hold`);
  await until(() => held.length === 1, "the first request to be held");
  const queued = httpRequest(`${proxy.url}/queued`, { agent: false });
  queued.on("error", () => { /* we abort it */ });
  queued.end();
  await until(() => proxy.results.length === 0 && proxy.pool.health()[0]?.inFlight === 2, "the second request to be queued");
  queued.destroy();
  const aborted = await proxy.result(0);
  assert.equal(aborted.aborted, true);
  held[0]?.end("released");
  assert.equal((await first).body.toString(), "released");
  assert.equal((await send(`${proxy.url}/after`)).body.toString(), "ok");
  assert.deepEqual(seen, ["/hold", "/after"]);
  assert.equal(proxy.pool.health()[0]?.inFlight, 0);
});

test("client abort during an upload cancels the upstream request", async () => {
  const firstBytes = Promise.withResolvers<void>();
  const upstreamClosed = Promise.withResolvers<boolean>();
  const api = await upstream((req) => {
    let ended = false;
    req.once("data", () => firstBytes.resolve());
    req.on("end", () => { ended = true; });
    req.on("close", () => upstreamClosed.resolve(ended));
  });
  const proxy = await front(upstreamConfig([api.url]));
  const client = httpRequest(`${proxy.url}/upload`, { method: "POST", agent: false });
  client.on("error", () => { /* we abort it */ });
  client.write("x".repeat(1000));
  await withTimeout(firstBytes.promise, 5_000, "the first body bytes at the upstream");
  client.destroy();
  assert.equal(await withTimeout(upstreamClosed.promise, 1_000, "the upstream request to close"), false);
  assert.equal((await proxy.result(0)).aborted, true);
});

test("a chunked body over maxBodyBytes → 413 and the upstream request aborted", async () => {
  const upstreamOutcome = Promise.withResolvers<{ ended: boolean; received: number }>();
  const api = await upstream((req) => {
    let received = 0;
    let ended = false;
    req.on("data", (chunk: Buffer) => { received += chunk.length; });
    req.on("end", () => { ended = true; });
    req.on("close", () => upstreamOutcome.resolve({ ended, received }));
  });
  const proxy = await front(upstreamConfig([api.url]), { maxBodyBytes: 64 * 1024 });
  const status = await withTimeout(new Promise<number>((resolve, reject) => {
    const client = httpRequest(`${proxy.url}/upload`, { method: "POST", agent: false });
    const chunk = Buffer.alloc(16 * 1024, 1);
    let sent = 0;
    const pump = (): void => {
      // Stop sending once the answer came; a real client would too.
      if (sent >= 1024 * 1024 || client.destroyed) return;
      sent += chunk.length;
      if (client.write(chunk)) setImmediate(pump);
      else client.once("drain", pump);
    };
    client.on("response", (res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    client.on("error", reject);
    pump();
  }), 5_000, "the 413");
  assert.equal(status, 413);
  const outcome = await withTimeout(upstreamOutcome.promise, 1_000, "the upstream request to close");
  assert.equal(outcome.ended, false, "the upstream must not see a complete (truncated) body");
  assert.ok(outcome.received <= 64 * 1024 + 16 * 1024);
  const result = await proxy.result(0);
  assert.equal(result.error, "body_too_large");
  assert.equal(result.status, 413);
});

test("a declared Content-Length over maxBodyBytes → 413 without contacting the upstream", async () => {
  let reached = 0;
  const api = await upstream((_req, res) => { reached += 1; res.end(); });
  const proxy = await front(upstreamConfig([api.url]), { maxBodyBytes: 10 });
  const got = await send(`${proxy.url}/p`, { method: "POST", body: "x".repeat(11) });
  assert.equal(got.status, 413);
  assert.equal(got.headers["content-type"], "application/problem+json");
  assert.equal(reached, 0);
});

test("an upstream failure after the headers were sent breaks the client's response", async () => {
  const api = await upstream((_req, res) => {
    res.writeHead(200, { "content-length": "1000" });
    res.write("partial");
    setTimeout(() => res.socket?.destroy(), 50);
  });
  const proxy = await front(upstreamConfig([api.url]));
  const outcome = await withTimeout(new Promise<string>((resolve) => {
    const client = httpRequest(`${proxy.url}/broken`, { agent: false }, (res) => {
      res.on("data", () => { /* read */ });
      res.on("end", () => resolve(`complete ${res.statusCode}`));
      res.on("error", () => resolve("broken"));
      res.on("aborted", () => resolve("broken"));
    });
    client.on("error", () => resolve("broken"));
    client.end();
  }), 5_000, "the broken response");
  assert.equal(outcome, "broken");
  const result = await proxy.result(0);
  assert.equal(result.error, "reset");
  assert.equal(result.status, 200);
});

test("HEAD and 204 answers carry no body", async () => {
  const api = await upstream((req, res) => {
    if (req.method === "HEAD") { res.writeHead(200, { "content-length": "42" }); res.end(); return; }
    res.writeHead(204); res.end();
  });
  const proxy = await front(upstreamConfig([api.url]));
  const head = await send(`${proxy.url}/h`, { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.headers["content-length"], "42");
  assert.equal(head.body.length, 0);
  const empty = await send(`${proxy.url}/d`, { method: "DELETE" });
  assert.equal(empty.status, 204);
});
