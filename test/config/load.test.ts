import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { formatIssue, loadConfigFile } from "../../src/config/load.ts";
import { load, loadIssues, loadOk, MINIMAL, summary } from "../helpers/config-fixtures.ts";

const BROKEN = `listeners:
  - port: 8080
    colour: blue
    timeouts:
      headers: 10 seconds
upstreams:
  api:
    targets: [http://127.0.0.1:3000]
routes:
  - path: /a
    methods: [GET]
    upstream: api
  - path: /b
    methods: [GET]
    upstream: billing
  - path: /c
    methods: [GET, FETCH]
    upstream: api
trusted_proxies: [10.0.0.0/8, 10.0.0.300]
`;

test("a broken file reports every mistake at once, each with line:column and path", () => {
  const issues = loadIssues(BROKEN);
  assert.deepEqual(summary(issues), [
    '3:5 listeners[0].colour: unknown key "colour"',
    '5:16 listeners[0].timeouts.headers: "10 seconds" is not a duration (e.g. 250ms, 10s, 5m, 1h)',
    '15:15 routes[1].upstream: unknown upstream "billing" (known: "api")',
    '17:20 routes[2].methods[1]: "FETCH" is not an HTTP method',
    '19:31 trusted_proxies[1]: "10.0.0.300" is not an IP address or CIDR block (e.g. 10.0.0.0/8, 2001:db8::/32)',
  ]);
  assert.ok(issues.every((issue) => issue.file === "/tmp/rampart-test/rampart.yaml"));
  assert.equal(issues[3]?.code, "RAMPART_ERR_CONFIG_INVALID");
  assert.equal(issues[2]?.code, "RAMPART_ERR_UNKNOWN_UPSTREAM");
  assert.equal(formatIssue(issues[3]!), '/tmp/rampart-test/rampart.yaml:17:20 routes[2].methods[1]: "FETCH" is not an HTTP method');
});

test("unknown keys point at the key and suggest the near one", () => {
  const issues = loadIssues(`${MINIMAL}listners: []\n`);
  assert.deepEqual(summary(issues), ['10:1 listners: unknown key "listners" (did you mean "listeners"?)']);
});

test("a missing required key is reported at the object that lacks it", () => {
  const issues = loadIssues(`listeners:
  - address: 127.0.0.1
upstreams: {}
routes: []
`);
  assert.deepEqual(summary(issues), ['2:5 listeners[0]: missing required key "port"']);
  assert.deepEqual(summary(loadIssues("mode: enforce\n")).sort(), [
    '1:1 : missing required key "listeners"',
    '1:1 : missing required key "routes"',
    '1:1 : missing required key "upstreams"',
  ]);
});

test("a size union gives one message, not one per branch", () => {
  const issues = loadIssues(`${MINIMAL}limits:\n  max_body_bytes: lots\n  max_url_bytes: -1\n`);
  assert.deepEqual(summary(issues), [
    '11:19 limits.max_body_bytes: "lots" is not a size (e.g. 512, 16kb, 1mb)',
    "12:18 limits.max_url_bytes: -1 is not a size (e.g. 512, 16kb, 1mb)",
  ]);
});

test("wrong types name what was expected and what was found", () => {
  const issues = loadIssues(MINIMAL.replace("port: 8080", "port: eighty").replace("methods: [GET]", "methods: GET"));
  assert.deepEqual(summary(issues), [
    '2:11 listeners[0].port: must be an integer (got "eighty")',
    '8:14 routes[0].methods: must be a list (got "GET")',
  ]);
});

test("tokens are never repeated in messages", () => {
  const issues = loadIssues(`${MINIMAL}admin:\n  tokens:\n    - name: ops\n      token: hunter2\n`);
  assert.deepEqual(summary(issues), ["13:14 admin.tokens[0].token: the value is too short for a token (16 characters at least)"]);
  assert.ok(!JSON.stringify(issues).includes("hunter2"));
});

test("YAML syntax errors are positioned", () => {
  const issues = loadIssues("listeners:\n  - port: 8080\nroutes: [\nupstreams: {}\n");
  assert.ok(issues.length >= 1);
  assert.equal(issues[0]?.code, "RAMPART_ERR_CONFIG_SYNTAX");
  assert.match(issues[0]?.message ?? "", /^YAML syntax: /);
  assert.ok((issues[0]?.line ?? 0) >= 3, `line ${issues[0]?.line}`);
  const duplicate = loadIssues(`${MINIMAL}listeners: []\n`);
  assert.equal(duplicate[0]?.line, 10);
  assert.equal(duplicate[0]?.column, 1);
  assert.match(duplicate[0]?.message ?? "", /unique/);
});

test("an empty file or a list at the top is an issue, not a crash", () => {
  assert.match(loadIssues("")[0]?.message ?? "", /must be a mapping/);
  assert.match(loadIssues("- 1\n- 2\n")[0]?.message ?? "", /must be a mapping/);
});

test("defaults from the project notes are applied", () => {
  const { config, warnings } = loadOk(MINIMAL);
  assert.equal(config.mode, "enforce");
  assert.equal(config.strictRoutes, true);
  const [listener] = config.listeners;
  assert.equal(listener?.address, "0.0.0.0");
  assert.equal(listener?.headersTimeoutMs, 10_000);
  assert.equal(listener?.requestTimeoutMs, 60_000);
  assert.equal(listener?.keepAliveTimeoutMs, 5_000);
  assert.equal(listener?.maxConnections, 10_000);
  assert.equal(listener?.maxConnectionsPerIp, 256);
  assert.equal(listener?.refusePlainHttp, false);
  assert.equal(listener?.hsts, undefined);
  const api = config.upstreams.get("api");
  assert.deepEqual(api?.targets, [{ origin: "http://127.0.0.1:3000", basePath: "" }]);
  assert.equal(api?.balance, "round_robin");
  assert.equal(api?.connectTimeoutMs, 5_000);
  assert.equal(api?.responseHeadersTimeoutMs, 30_000);
  assert.equal(api?.idleTimeoutMs, 60_000);
  assert.equal(api?.connectionsPerTarget, 64);
  assert.equal(api?.keepAliveIdleMs, 30_000);
  assert.equal(api?.passiveFailures, 3);
  assert.equal(api?.ejectForMs, 30_000);
  assert.equal(api?.healthCheck, undefined);
  assert.equal(api?.tls, undefined);
  assert.deepEqual(config.limits, { maxHeaderBytes: 16_384, maxUrlBytes: 8_192, maxBodyBytes: 1_048_576 });
  const [route] = config.routes;
  assert.equal(route?.id, "users_id");
  assert.deepEqual(route?.methods, ["GET", "HEAD"]);
  assert.equal(route?.onError, "closed");
  assert.equal(route?.bodyViewBytes, 0);
  assert.deepEqual(route?.limits, config.limits);
  assert.deepEqual(config.risk, { suspicious: 50, blocked: 100 });
  assert.deepEqual(config.logging, { level: "info", destination: "stdout", debugErrors: false });
  assert.equal(config.admin.enabled, true);
  assert.equal(config.admin.address, "127.0.0.1");
  assert.equal(config.admin.port, 9090);
  assert.equal(config.admin.tokens.size, 0);
  assert.equal(config.drainTimeoutMs, 30_000);
  assert.equal(config.trustedProxies, undefined);
  assert.equal(config.file, "/tmp/rampart-test/rampart.yaml");
  assert.deepEqual(warnings.map((w) => w.code), ["RAMPART_WARN_ADMIN_NO_TOKENS"]);
});

test("the result is frozen deep enough that the hot path cannot change it", () => {
  const { config } = loadOk(MINIMAL);
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.listeners));
  assert.ok(Object.isFrozen(config.listeners[0]));
  assert.ok(Object.isFrozen(config.routes[0]?.methods));
  assert.ok(Object.isFrozen(config.routes[0]?.limits));
  assert.ok(Object.isFrozen(config.upstreams.get("api")?.targets[0]));
  assert.throws(() => (config.upstreams as Map<string, unknown>).set("x", {}), TypeError);
  assert.throws(() => (config.admin.tokens as Map<string, string>).delete("x"), TypeError);
  assert.throws(() => {
    (config.routes as unknown as unknown[]).push({});
  }, TypeError);
});

test("loadConfigFile reads a file, resolves its folder, and reports an unreadable one", () => {
  const dir = mkdtempSync(join(tmpdir(), "rampart-load-"));
  try {
    const file = join(dir, "rampart.yaml");
    writeFileSync(file, `${MINIMAL}logging:\n  destination: logs/rampart.log\n`);
    const result = loadConfigFile(file, { env: {} });
    assert.ok(result.ok);
    assert.equal(result.config.logging.destination, join(dir, "logs/rampart.log"));
    const missing = loadConfigFile(join(dir, "nope.yaml"), { env: {} });
    assert.equal(missing.ok, false);
    assert.ok(!missing.ok && missing.issues[0]?.code === "RAMPART_ERR_CONFIG_UNREADABLE");
    assert.match(!missing.ok ? (missing.issues[0]?.message ?? "") : "", /no such file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("parseConfig never throws on hostile shapes", () => {
  const texts = [
    "listeners: 5\nupstreams: []\nroutes: {}\n",
    "listeners: [null]\nupstreams: {api: null}\nroutes: [null, 5, {path: 1}]\n",
    "listeners: [{port: 1, tls: 5}]\nupstreams: {api: {targets: 1}}\nroutes: [{path: /a, methods: [GET], upstream: api, cors: 1, limits: 2, ip: {allow: 3}}]\ntrusted_proxies: 7\n",
    "a: &x [*x]\n",
  ];
  for (const text of texts) {
    const result = load(text);
    assert.equal(result.ok, false, text);
  }
});

test("an alias bomb is refused as an issue, not expanded", () => {
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 9; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(",")}]`);
  const issues = loadIssues(`${lines.join("\n")}\n`);
  assert.equal(issues[0]?.code, "RAMPART_ERR_CONFIG_SYNTAX");
});
