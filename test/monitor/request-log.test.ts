import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, describe, it } from "node:test";
import { RampartError } from "../../src/errors.ts";
import {
  createRequestLogger,
  createRequestLoggerFromStream,
  type RequestLogEntry,
} from "../../src/monitor/request-log.ts";

const folder = mkdtempSync(join(tmpdir(), "rampart-log-"));
after(() => rmSync(folder, { recursive: true, force: true }));

function entry(overrides: Partial<RequestLogEntry> = {}): RequestLogEntry {
  return {
    id: "req-1",
    clientIp: "203.0.113.7",
    method: "POST",
    path: "/auth/login",
    route: "login",
    status: 200,
    action: "allow",
    wouldHave: undefined,
    reasons: [],
    risk: 0,
    latencyMs: 1.23456,
    upstreamMs: 0.9,
    userAgent: "curl/8.5.0",
    keyId: undefined,
    subject: undefined,
    account: undefined,
    errors: [],
    upstreamError: undefined,
    target: "http://127.0.0.1:3000",
    ...overrides,
  };
}

/** Collects what the logger writes; each write of pino is one complete line. */
function capture(): { readonly stream: PassThrough; readonly lines: () => Record<string, unknown>[] } {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
  return {
    stream,
    lines: () => text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe("request logger", () => {
  it("writes exactly one JSON line per request with the required snake_case fields", async () => {
    const { stream, lines } = capture();
    const log = createRequestLoggerFromStream(stream, "info");
    log.request(entry());
    await new Promise((resolve) => setImmediate(resolve));
    const written = lines();
    assert.equal(written.length, 1);
    const line = written[0] as Record<string, unknown>;
    assert.equal(typeof line["time"], "number");
    assert.equal(line["level"], "info");
    assert.equal(line["msg"], "request");
    assert.equal(line["req_id"], "req-1");
    assert.equal(line["client_ip"], "203.0.113.7");
    assert.equal(line["method"], "POST");
    assert.equal(line["path"], "/auth/login");
    assert.equal(line["route"], "login");
    assert.equal(line["status"], 200);
    assert.equal(line["action"], "allow");
    assert.deepEqual(line["reasons"], []);
    assert.equal(line["risk"], 0);
    assert.equal(line["latency_ms"], 1.235);
    assert.equal(line["upstream_ms"], 0.9);
    assert.equal(line["user_agent"], "curl/8.5.0");
    assert.equal(line["target"], "http://127.0.0.1:3000");
    for (const absent of ["would_have", "key_id", "subject", "account", "errors", "upstream_error", "reason_details", "pid", "hostname"]) {
      assert.equal(absent in line, false, `${absent} should be omitted`);
    }
  });

  it("writes dry-run, identity, reasons and failures when the request has them", async () => {
    const { stream, lines } = capture();
    const log = createRequestLoggerFromStream(stream, "info");
    log.request(entry({
      route: undefined,
      status: 502,
      wouldHave: "deny",
      reasons: [{ layer: "gate", code: "ip_denied", detail: "203.0.113.0/24" }, { layer: "gate", code: "blocked" }],
      risk: 40,
      keyId: "key_1",
      subject: "user-9",
      account: "alice@example.com",
      errors: [{ layer: "intel", message: "database not loaded", policy: "open" }],
      upstreamError: "connect ECONNREFUSED",
      upstreamMs: undefined,
      userAgent: "x".repeat(5000),
    }));
    await new Promise((resolve) => setImmediate(resolve));
    const [line] = lines() as [Record<string, unknown>];
    assert.equal("route" in line, false);
    assert.equal(line["would_have"], "deny");
    assert.deepEqual(line["reasons"], ["gate.ip_denied", "gate.blocked"]);
    assert.deepEqual(line["reason_details"], ["gate.ip_denied: 203.0.113.0/24", "gate.blocked"]);
    assert.equal(line["key_id"], "key_1");
    assert.equal(line["subject"], "user-9");
    assert.equal(line["account"], "alice@example.com");
    assert.deepEqual(line["errors"], [{ layer: "intel", message: "database not loaded", policy: "open" }]);
    assert.equal(line["upstream_error"], "connect ECONNREFUSED");
    assert.equal("upstream_ms" in line, false);
    assert.equal((line["user_agent"] as string).length, 512);
  });

  it("writes nothing below its level, and operational logs through the same stream", async () => {
    const { stream, lines } = capture();
    const log = createRequestLoggerFromStream(stream, "warn");
    log.request(entry());
    log.logger.info("not shown");
    log.logger.warn({ code: "RAMPART_WARN_TEST" }, "shown");
    await new Promise((resolve) => setImmediate(resolve));
    const written = lines();
    assert.equal(written.length, 1);
    assert.equal(written[0]?.["msg"], "shown");
    assert.equal(written[0]?.["level"], "warn");
  });

  it("appends one line per request to a file destination, creating its folder, and flushes on demand", async () => {
    const file = join(folder, "nested", "requests.log");
    const log = createRequestLogger({ level: "info", destination: file, debugErrors: false });
    for (let i = 0; i < 100; i++) log.request(entry({ id: `req-${i}` }));
    await log.flush();
    const lines = readFileSync(file, "utf8").trimEnd().split("\n");
    assert.equal(lines.length, 100);
    assert.deepEqual(lines.map((line) => (JSON.parse(line) as { req_id: string }).req_id), Array.from({ length: 100 }, (_, i) => `req-${i}`));
  });

  it("fails at creation with a coded error when the file cannot be opened", () => {
    const notAFolder = join(folder, "plain-file");
    writeFileSync(notAFolder, "");
    assert.throws(
      () => createRequestLogger({ level: "info", destination: join(notAFolder, "requests.log"), debugErrors: false }),
      (error: unknown) => error instanceof RampartError && error.code === "RAMPART_ERR_FILE_UNREADABLE" && error.message.includes("plain-file"),
    );
  });
});
