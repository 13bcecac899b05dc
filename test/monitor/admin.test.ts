import assert from "node:assert/strict";
import { request } from "node:http";
import { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import type { AdminConfig } from "../../src/config/config.ts";
import { startAdmin, WARN_ADMIN_NO_TOKENS, type AdminServer, type Readiness } from "../../src/monitor/admin.ts";
import { createGatewayMetrics } from "../../src/monitor/metrics.ts";
import { createRequestLoggerFromStream } from "../../src/monitor/request-log.ts";
import type { Controls } from "../../src/engine/index.ts";
import { createMemoryControls } from "../../src/store/memory/controls.ts";

/** The real in-memory Controls, recording who each removal was made by (the memory store keeps no audit of its own). */
function recordingControls(): Controls & { readonly removals: string[] } {
  const memory = createMemoryControls();
  const removals: string[] = [];
  return {
    ...memory,
    removals,
    removeBlock(kind, value, author) {
      removals.push(`${kind} ${value} by ${author}`);
      return memory.removeBlock(kind, value, author);
    },
  };
}

const ALICE = "alice-token-0123456789";
const BOB = "bob-token-9876543210-longer";

function config(tokens: Record<string, string>): AdminConfig {
  return { enabled: true, address: "127.0.0.1", port: 0, tokens: new Map(Object.entries(tokens)) };
}

/** A pino logger whose lines the test can read back. */
function captureLogger(): { readonly logger: ReturnType<typeof createRequestLoggerFromStream>["logger"]; readonly lines: () => Record<string, unknown>[] } {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
  return {
    logger: createRequestLoggerFromStream(stream, "info").logger,
    lines: () => text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function call(admin: AdminServer, path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token !== undefined) headers.set("authorization", `Bearer ${init.token}`);
  return fetch(admin.url + path, { ...init, headers, signal: AbortSignal.timeout(5000) });
}

async function problem(response: Response): Promise<{ status: number; title: string; detail?: string }> {
  assert.equal(response.headers.get("content-type"), "application/problem+json");
  return (await response.json()) as { status: number; title: string; detail?: string };
}

describe("admin API with tokens", () => {
  let admin: AdminServer;
  let controls: ReturnType<typeof recordingControls>;
  let readiness: Readiness = { ready: true, checks: { config: { ok: true } } };
  const log = captureLogger();
  const metrics = createGatewayMetrics({ processMetrics: false });

  before(async () => {
    controls = recordingControls();
    admin = await startAdmin(config({ [ALICE]: "alice", [BOB]: "bob" }), {
      metrics,
      readiness: () => readiness,
      controls,
      logger: log.logger,
    });
  });
  after(() => admin.close());

  it("listens on the port it was given (0 = any) and says so in its url", () => {
    assert.match(admin.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(new URL(admin.url).port, "0");
  });

  it("answers /healthz without a token, and 405 with Allow for another method", async () => {
    const response = await call(admin, "/healthz");
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: "ok" });
    const post = await call(admin, "/healthz", { method: "POST" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
    await problem(post);
  });

  it("refuses /metrics without a token or with a wrong one: 401 problem with WWW-Authenticate", async () => {
    for (const token of [undefined, "wrong", `${ALICE}x`, ALICE.slice(0, -1)]) {
      const response = await call(admin, "/metrics", token === undefined ? {} : { token });
      assert.equal(response.status, 401, `token ${token}`);
      assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer/);
      assert.equal((await problem(response)).status, 401);
    }
    const basic = await call(admin, "/metrics", { headers: { authorization: `Basic ${Buffer.from(`x:${ALICE}`).toString("base64")}` } });
    assert.equal(basic.status, 401);
    await basic.body?.cancel();
  });

  it("serves Prometheus text on /metrics to a token holder", async () => {
    metrics.requestStarted();
    metrics.requestFinished("users", "allow", 200, 3);
    metrics.decisionTook(0.00001);
    const response = await call(admin, "/metrics", { token: BOB });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    assert.match(text, /^rampart_requests_total\{route="users",action="allow",status="200"\} 1$/m);
    assert.match(text, /^rampart_decision_latency_seconds_count 1$/m);
  });

  it("answers /readyz 200 when ready and 503 with each check when not", async () => {
    let response = await call(admin, "/readyz", { token: ALICE });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: "ready", checks: { config: { ok: true } } });
    readiness = { ready: false, checks: { config: { ok: true }, "upstream:api": { ok: false, detail: "no healthy target" } } };
    response = await call(admin, "/readyz", { token: ALICE });
    assert.equal(response.status, 503);
    assert.deepEqual(await response.json(), {
      status: "not_ready",
      checks: { config: { ok: true }, "upstream:api": { ok: false, detail: "no healthy target" } },
    });
    readiness = { ready: true, checks: {} };
  });

  it("adds, lists and removes blocks with the token's operator as author, and logs each change", async () => {
    const created = await call(admin, "/blocks", {
      token: ALICE,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "ip", value: "2001:DB8:0::1", ttl: "1h", reason: "credential stuffing" }),
    });
    assert.equal(created.status, 201);
    const { block } = (await created.json()) as { block: Record<string, unknown> };
    assert.equal(block["author"], "alice");
    assert.equal(block["value"], "2001:db8::1");
    assert.equal(block["source"], "operator");
    const lifetime = Date.parse(block["expires_at"] as string) - Date.parse(block["created_at"] as string);
    assert.equal(lifetime, 3_600_000);

    const listed = await call(admin, "/blocks", { token: BOB });
    assert.equal(listed.status, 200);
    const { blocks } = (await listed.json()) as { blocks: Record<string, unknown>[] };
    assert.deepEqual(blocks.map((b) => [b["kind"], b["value"], b["author"], b["reason"]]), [["ip", "2001:db8::1", "alice", "credential stuffing"]]);

    const removed = await call(admin, `/blocks/ip/${encodeURIComponent("2001:db8::1")}`, { token: BOB, method: "DELETE" });
    assert.equal(removed.status, 200);
    assert.deepEqual(await removed.json(), { removed: { kind: "ip", value: "2001:db8::1" } });
    assert.deepEqual(controls.removals, ["ip 2001:db8::1 by bob"]);
    assert.deepEqual(controls.listBlocks(Date.now()), []);

    const again = await call(admin, "/blocks/ip/2001:db8::1", { token: BOB, method: "DELETE" });
    assert.equal(again.status, 404);
    assert.match((await problem(again)).detail ?? "", /no block on ip 2001:db8::1/);

    await settle();
    const audit = log.lines().filter((line) => typeof line["event"] === "string" && (line["event"] as string).startsWith("admin.block"));
    assert.deepEqual(audit.map((line) => [line["event"], line["operator"], line["value"]]), [
      ["admin.block_added", "alice", "2001:db8::1"],
      ["admin.block_removed", "bob", "2001:db8::1"],
    ]);
  });

  it("takes a CIDR prefix in the DELETE path raw or percent-encoded, normalized", async () => {
    for (const path of ["/blocks/prefix/10.1.2.3/8", `/blocks/prefix/${encodeURIComponent("10.0.0.0/8")}`]) {
      const created = await call(admin, "/blocks", { token: ALICE, method: "POST", body: JSON.stringify({ kind: "prefix", value: "10.9.9.9/8", ttl: 60 }) });
      assert.equal(created.status, 201);
      assert.equal(((await created.json()) as { block: { value: string } }).block.value, "10.0.0.0/8");
      const removed = await call(admin, path, { token: ALICE, method: "DELETE" });
      assert.equal(removed.status, 200, path);
      await removed.body?.cancel();
    }
  });

  it("answers 400 problem+json naming what is wrong with a block request", async () => {
    const cases: [string, RegExp][] = [
      ["{not json", /body: not valid JSON/],
      ["[]", /body: must be a JSON object/],
      [JSON.stringify({ kind: "planet", value: "x" }), /^kind: must be one of ip, prefix, asn, country, key/],
      [JSON.stringify({ kind: "ip", value: "10.1" }), /^value: "10.1" is not an IPv4 or IPv6 address/],
      [JSON.stringify({ kind: "ip", value: "10.0.0.1", ttl: "soon" }), /^ttl: "soon" is not a duration/],
      [JSON.stringify({ kind: "ip", value: "10.0.0.1", author: "mallory" }), /^author: unknown field/],
    ];
    for (const [body, detail] of cases) {
      const response = await call(admin, "/blocks", { token: ALICE, method: "POST", body });
      assert.equal(response.status, 400, body);
      assert.match((await problem(response)).detail ?? "", detail);
    }
    assert.deepEqual(controls.listBlocks(Date.now()), []);
  });

  it("answers 413 to a block body past 16 KiB, declared or streamed", async () => {
    const response = await call(admin, "/blocks", { token: ALICE, method: "POST", body: JSON.stringify({ kind: "key", value: "k", reason: "x".repeat(20_000) }) });
    assert.equal(response.status, 413);
    await problem(response);
    // Chunked, without Content-Length: the limit is enforced while reading, and the answer arrives without the rest.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(`${admin.url}/blocks`, { method: "POST", headers: { authorization: `Bearer ${ALICE}` }, timeout: 5000 }, (res) => {
        res.resume();
        resolve(res.statusCode);
        req.destroy();
      });
      req.on("error", reject);
      req.on("timeout", () => reject(new Error("no answer to an oversized chunked body")));
      req.write("x".repeat(10_000));
      req.write("x".repeat(10_000));
    });
    assert.equal(status, 413);
  });

  it("answers HEAD like GET, without a body", async () => {
    const response = await call(admin, "/metrics", { token: ALICE, method: "HEAD" });
    assert.equal(response.status, 200);
    assert.ok(Number(response.headers.get("content-length")) > 0);
    assert.equal(await response.text(), "");
  });

  it("answers 404 problem+json for an unknown path (401 without a token) and 405 with Allow for a wrong method", async () => {
    const unknown = await call(admin, "/nope", { token: ALICE });
    assert.equal(unknown.status, 404);
    assert.equal((await problem(unknown)).title, "Not Found");
    const anonymous = await call(admin, "/nope");
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();
    const wrong = await call(admin, "/metrics", { token: ALICE, method: "DELETE" });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get("allow"), "GET, HEAD");
    await problem(wrong);
    const blocks = await call(admin, "/blocks", { token: ALICE, method: "PUT", body: "{}" });
    assert.equal(blocks.status, 405);
    assert.equal(blocks.headers.get("allow"), "GET, HEAD, POST");
    await blocks.body?.cancel();
  });

  it("logs failed token attempts without the token", async () => {
    const response = await call(admin, "/metrics", { token: "guess-123" });
    assert.equal(response.status, 401);
    await response.body?.cancel();
    await settle();
    const failures = log.lines().filter((line) => line["event"] === "admin.auth_failed");
    assert.ok(failures.length >= 1);
    assert.doesNotMatch(JSON.stringify(failures), /guess-123/);
  });
});

describe("admin API without tokens, and when things fail", () => {
  it("answers only /healthz and warns once at start", async () => {
    const log = captureLogger();
    const admin = await startAdmin(config({}), {
      metrics: createGatewayMetrics({ processMetrics: false }),
      readiness: () => ({ ready: true, checks: {} }),
      controls: createMemoryControls(),
      logger: log.logger,
    });
    try {
      assert.equal((await call(admin, "/healthz")).status, 200);
      for (const path of ["/metrics", "/readyz", "/blocks", "/nope"]) {
        const response = await call(admin, path, { token: "anything" });
        assert.equal(response.status, 401, path);
        assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer/);
        await response.body?.cancel();
      }
      await settle();
      const warnings = log.lines().filter((line) => line["code"] === WARN_ADMIN_NO_TOKENS);
      assert.equal(warnings.length, 1);
      assert.equal(warnings[0]?.["level"], "warn");
    } finally {
      await admin.close();
    }
  });

  it("answers 400 when the store refuses a block's value and 500 (logged) when the store fails", async () => {
    const memory = createMemoryControls();
    let failure: Error = Object.assign(new Error("not a valid asn to block"), { name: "InvalidBlockError" });
    const log = captureLogger();
    const admin = await startAdmin(config({ [ALICE]: "alice" }), {
      metrics: createGatewayMetrics({ processMetrics: false }),
      readiness: () => ({ ready: true, checks: {} }),
      controls: { ...memory, addBlock: () => Promise.reject(failure) },
      logger: log.logger,
    });
    try {
      const body = JSON.stringify({ kind: "asn", value: "AS64512" });
      const refused = await call(admin, "/blocks", { token: ALICE, method: "POST", body });
      assert.equal(refused.status, 400);
      assert.match((await problem(refused)).detail ?? "", /^value: not a valid asn/);
      failure = new Error("store unreachable");
      const failed = await call(admin, "/blocks", { token: ALICE, method: "POST", body });
      assert.equal(failed.status, 500);
      assert.equal((await problem(failed)).detail, undefined);
      await settle();
      assert.ok(log.lines().some((line) => line["event"] === "admin.error" && JSON.stringify(line).includes("store unreachable")));
    } finally {
      await admin.close();
    }
  });

  it("rejects with the listen error when the port is taken", async () => {
    const first = await startAdmin(config({}), {
      metrics: createGatewayMetrics({ processMetrics: false }),
      readiness: () => ({ ready: true, checks: {} }),
      controls: createMemoryControls(),
      logger: captureLogger().logger,
    });
    try {
      const port = Number(new URL(first.url).port);
      await assert.rejects(
        startAdmin({ ...config({}), port }, {
          metrics: createGatewayMetrics({ processMetrics: false }),
          readiness: () => ({ ready: true, checks: {} }),
          controls: createMemoryControls(),
          logger: captureLogger().logger,
        }),
        { code: "EADDRINUSE" },
      );
    } finally {
      await first.close();
    }
  });
});
