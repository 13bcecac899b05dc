import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { compileConfig } from "../../src/config/compile.ts";
import { parseConfig } from "../../src/config/load.ts";
import { loadIssues, loadOk, MINIMAL, summary } from "../helpers/config-fixtures.ts";

const TOKENS = `admin:\n  tokens:\n    - name: alice\n      token: 0123456789abcdef\n`;

test("route ids default to a slug of the path, and duplicates or shape conflicts are issues", () => {
  const { config } = loadOk(`listeners: [{port: 1}]
upstreams: {api: {targets: [http://a]}}
routes:
  - {path: /, methods: [POST], upstream: api}
  - {path: /files/*, methods: [GET], upstream: api}
  - {id: me, path: /users/me, methods: [get], upstream: api}
`.replace("[get]", "[GET]"));
  assert.deepEqual(config.routes.map((r) => r.id), ["root", "files", "me"]);
  assert.deepEqual(config.routes.map((r) => r.pattern), ["/", "/files/*", "/users/me"]);
  const issues = loadIssues(`listeners: [{port: 1}]
upstreams: {api: {targets: [http://a]}}
routes:
  - {path: /users/:id, methods: [GET], upstream: api}
  - {path: /users/:name, methods: [POST], upstream: api}
  - {path: /users/:id/, methods: [PUT], upstream: api}
  - {id: users_id, path: /u, methods: [PUT], upstream: api}
`);
  assert.deepEqual(summary(issues), [
    '5:12 routes[1].path: /users/:name: parameter ":name" conflicts with ":id" at the same position',
    '6:12 routes[2].path: /users/:id/: same path shape as route "users_id" (/users/:id)',
    '7:10 routes[3].id: route id "users_id" is already used by routes[0]',
  ]);
  assert.ok(issues.every((i) => i.code === "RAMPART_ERR_ROUTE_CONFLICT"));
});

test("upstream references are checked and name the known upstreams", () => {
  const issues = loadIssues(`${MINIMAL}default_upstream: web\n`);
  assert.deepEqual(summary(issues), ['10:19 default_upstream: unknown upstream "web" (known: "api")']);
  const relaxed = loadIssues(`${MINIMAL}strict_routes: false\n`);
  assert.deepEqual(summary(relaxed), ["10:16 strict_routes: strict_routes: false sends unknown paths to default_upstream, which is not set"]);
  assert.equal(loadOk(`${MINIMAL}strict_routes: false\ndefault_upstream: api\n`).config.defaultUpstream, "api");
});

test("route limits inherit unset fields from the top level; body view and account are parsed", () => {
  const { config } = loadOk(`${MINIMAL}limits:
  max_body_bytes: 2mb
  max_url_bytes: 4kb
`.replace("    upstream: api\n", `    upstream: api
    limits: {max_body_bytes: 64KiB}
    body: {view_bytes: 4kb}
    account: body.user.email
    on_error: open
`));
  assert.deepEqual(config.limits, { maxHeaderBytes: 16_384, maxUrlBytes: 4_096, maxBodyBytes: 2_097_152 });
  const [route] = config.routes;
  assert.deepEqual(route?.limits, { maxHeaderBytes: 16_384, maxUrlBytes: 4_096, maxBodyBytes: 65_536 });
  assert.equal(route?.bodyViewBytes, 4_096);
  assert.deepEqual(route?.account, { source: "body", name: "user.email" });
  assert.equal(route?.onError, "open");
});

test("body.content_types: shorthands expanded, names lower-cased, view_bytes optional; a bad media type is an issue at its index", () => {
  const withBody = (body: string) => MINIMAL.replace("    methods: [GET]\n", `    methods: [POST]\n    body: ${body}\n`);
  const [route] = loadOk(withBody("{content_types: [json, form, Multipart/Form-Data, application/vnd.api+json, json]}")).config.routes;
  assert.deepEqual([...(route?.contentTypes ?? [])], ["application/json", "application/x-www-form-urlencoded", "multipart/form-data", "application/vnd.api+json"]);
  assert.equal(route?.bodyViewBytes, 0, "no view is buffered when none is asked for");
  assert.equal(loadOk(MINIMAL).config.routes[0]?.contentTypes, undefined, "undeclared: any body type");

  const issues = loadIssues(withBody("{content_types: [json, application/json; charset=utf-8, '*/*', text]}"));
  const expected = "is not a media type (type/subtype without parameters, e.g. application/json, multipart/form-data; or the shorthands json, form)";
  assert.deepEqual(summary(issues), [
    `9:34 routes[0].body.content_types[1]: "application/json; charset=utf-8" ${expected}`,
    `9:67 routes[0].body.content_types[2]: "*/*" ${expected}`,
    `9:74 routes[0].body.content_types[3]: "text" ${expected}`,
  ]);
  assert.deepEqual(summary(loadIssues(withBody("{content_types: []}"))).length, 1, "an empty list is refused (it would refuse every body)");
});

test("CORS: wildcard with credentials is refused, origins are normalized, methods default to the route's", () => {
  const cors = (body: string) => MINIMAL.replace("    upstream: api\n", `    upstream: api\n    cors: ${body}\n`);
  const issues = loadIssues(cors('{origins: ["*"], credentials: true}'));
  assert.deepEqual(summary(issues), ['10:41 routes[0].cors.credentials: credentials cannot be true with origins ["*"]: list the allowed origins']);
  assert.equal(issues[0]?.code, "RAMPART_ERR_CORS_WILDCARD_CREDENTIALS");
  assert.deepEqual(summary(loadIssues(cors("{origins: [https://a.example/path]}"))), [
    '10:22 routes[0].cors.origins[0]: "https://a.example/path" is not an origin (scheme://host[:port], no path), e.g. https://app.example.com',
  ]);
  const policy = loadOk(cors("{origins: [HTTPS://App.Example:443], headers: [X-Token], max_age: 10m}")).config.routes[0]?.cors;
  assert.deepEqual(policy, {
    origins: ["https://app.example"], methods: ["GET", "HEAD"], headers: ["x-token"], exposeHeaders: [],
    credentials: false, maxAgeSeconds: 600,
  });
  assert.equal(loadOk(cors('{origins: ["*"]}')).config.routes[0]?.cors?.origins, "*");
});

test("trusted_proxies: CIDRs compiled, bad entries reported by index, trust-everyone refused", () => {
  const { config } = loadOk(`${MINIMAL}trusted_proxies: [10.0.0.0/8, "2001:db8::/32"]\n`);
  assert.equal(config.trustedProxies?.has("10.1.2.3"), true);
  assert.equal(config.trustedProxies?.has("11.0.0.1"), false);
  const issues = loadIssues(`${MINIMAL}trusted_proxies:\n  - 10.0.0.0/8\n  - nope\n  - 0.0.0.0/0\n  - "::/0"\n`);
  assert.deepEqual(summary(issues), [
    '12:5 trusted_proxies[1]: "nope" is not an IP address or CIDR block (e.g. 10.0.0.0/8, 2001:db8::/32)',
    '13:5 trusted_proxies[2]: "0.0.0.0/0" trusts every address: any client could forge X-Forwarded-For; list only your proxies',
    '14:5 trusted_proxies[3]: "::/0" trusts every address: any client could forge X-Forwarded-For; list only your proxies',
  ]);
  assert.equal(issues[1]?.code, "RAMPART_ERR_PERMISSIVE_TRUST_PROXY");
  const ipIssues = loadIssues(`${MINIMAL}ip:\n  deny: [1.2.3.4, 1.2.3.4/33]\n`);
  assert.deepEqual(summary(ipIssues), ['11:19 ip.deny[1]: "1.2.3.4/33" is not an IP address or CIDR block (e.g. 10.0.0.0/8, 2001:db8::/32)']);
});

test("admin: tokens map to names; exposed without tokens is an error, loopback without tokens a warning", () => {
  const { config, warnings } = loadOk(`${MINIMAL}${TOKENS}`);
  assert.equal(config.admin.tokens.get("0123456789abcdef"), "alice");
  assert.deepEqual(warnings, []);
  const exposed = loadIssues(`${MINIMAL}admin:\n  address: 0.0.0.0\n`);
  assert.equal(exposed[0]?.code, "RAMPART_ERR_ADMIN_EXPOSED");
  assert.equal(exposed[0]?.path, "admin.address");
  const dup = loadIssues(`${MINIMAL}${TOKENS}    - name: bob\n      token: 0123456789abcdef\n`);
  assert.deepEqual(summary(dup), ['15:14 admin.tokens[1].token: the same token value is also given to "alice"; each operator needs their own']);
  assert.equal(loadOk(`${MINIMAL}admin:\n  enabled: false\n`).warnings.length, 0);
  const clash = loadIssues(MINIMAL.replace("port: 8080", "port: 9090"));
  assert.deepEqual(summary(clash), ["2:11 listeners[0].port: port 9090 is already used by the admin listener (admin.port, default 9090)"]);
});

test("TLS files are resolved against the config's folder and must be readable; HSTS is built", () => {
  const dir = mkdtempSync(join(tmpdir(), "rampart-tls-"));
  try {
    writeFileSync(join(dir, "cert.pem"), "cert");
    writeFileSync(join(dir, "key.pem"), "key");
    const tls = (hsts: string) => MINIMAL.replace("  - port: 8080\n", `  - port: 8443\n    tls: {cert: cert.pem, key: key.pem}\n${hsts}`);
    const file = join(dir, "rampart.yaml");
    const ok = parseConfig(`${tls("")}${TOKENS}`, file, { env: {} });
    assert.ok(ok.ok, JSON.stringify(!ok.ok && ok.issues));
    const listener = ok.config.listeners[0];
    assert.equal(listener?.tls?.certFile, join(dir, "cert.pem"));
    assert.equal(listener?.tls?.minVersion, "TLSv1.2");
    assert.equal(listener?.tls?.requestClientCert, false);
    assert.equal(listener?.hsts, "max-age=31536000");
    const sub = parseConfig(tls("    hsts: {max_age: 1d, include_subdomains: true}\n"), file, { env: {} });
    assert.equal(sub.ok && sub.config.listeners[0]?.hsts, "max-age=86400; includeSubDomains");
    const off = parseConfig(tls("    hsts: false\n"), file, { env: {} });
    assert.equal(off.ok && off.config.listeners[0]?.hsts, undefined);

    const missing = parseConfig(tls("").replace("key.pem", "nokey.pem"), file, { env: {} });
    assert.ok(!missing.ok);
    assert.equal(missing.issues[0]?.path, "listeners[0].tls.key");
    assert.equal(missing.issues[0]?.code, "RAMPART_ERR_FILE_UNREADABLE");
    assert.equal(missing.issues[0]?.message, `cannot read "${join(dir, "nokey.pem")}": no such file`);
    if (process.getuid?.() !== 0) {
      chmodSync(join(dir, "key.pem"), 0o000);
      const unreadable = parseConfig(tls(""), file, { env: {} });
      assert.ok(!unreadable.ok && /permission denied/.test(unreadable.issues[0]?.message ?? ""));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("listener and upstream checks: timeouts in order, target URLs, health checks", () => {
  const issues = loadIssues(`listeners:
  - port: 8080
    timeouts: {headers: 2m}
upstreams:
  api:
    targets: [http://u:p@127.0.0.1:3000/v1?x=1]
    health_check: {path: /health, interval: 1s, timeout: 2s}
routes: []
`);
  assert.deepEqual(summary(issues), [
    "3:25 listeners[0].timeouts.headers: must not be longer than timeouts.request",
    '6:15 upstreams.api.targets[0]: "http://127.0.0.1:3000/v1": a target URL takes no credentials, query or fragment',
    "7:58 upstreams.api.health_check.timeout: must not be longer than health_check.interval",
  ]);
  const { config } = loadOk(MINIMAL.replace("http://127.0.0.1:3000", "https://api.internal:8443/v1/"));
  assert.deepEqual(config.upstreams.get("api")?.targets, [{ origin: "https://api.internal:8443", basePath: "/v1" }]);
});

test("compileConfig works on options built in code, without positions", () => {
  const result = compileConfig({ listeners: [{ port: 0 }], upstreams: { api: { targets: ["http://x"] } }, routes: [{ path: "/a", methods: ["GET"], upstream: "zz" }] });
  assert.ok(!result.ok);
  assert.deepEqual(result.issues.map((i) => [i.path, i.line]), [["routes[0].upstream", undefined]]);
});
