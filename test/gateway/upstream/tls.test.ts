/** HTTPS upstreams: certificate verified against the configured CA, SNI, and a client certificate toward the upstream. */
import assert from "node:assert/strict";
import { createServer as createHttpsServer } from "node:https";
import type { TLSSocket } from "node:tls";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { UpstreamTlsConfig } from "../../../src/config/config.ts";
import { createUpstreamPools, UpstreamTlsFileError } from "../../../src/gateway/upstream/index.ts";
import { createTestPki, type TestPki } from "../../helpers/upstream-certs.ts";
import { send, startFront, startUpstream, upstreamConfig, type Front, type TestServer } from "../../helpers/upstream-front.ts";

let pki: TestPki;
let plain: TestServer;
let mutual: TestServer;
let healthChecks = 0;
const cleanups: (() => Promise<void>)[] = [];

before(async () => {
  pki = createTestPki();
  plain = await startUpstream((req, res) => {
    res.end(`tls ok, sni=${(req.socket as TLSSocket).servername}`);
  }, createHttpsServer({ cert: pki.serverCert, key: pki.serverKey }));
  mutual = await startUpstream((req, res) => {
    if (req.url === "/health") healthChecks += 1;
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    res.end(`client=${peer.subject?.CN ?? "none"}`);
  }, createHttpsServer({ cert: pki.serverCert, key: pki.serverKey, ca: pki.ca, requestCert: true, rejectUnauthorized: true }));
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await plain.close();
  await mutual.close();
  pki.remove();
});

function tls(overrides: Partial<UpstreamTlsConfig>): UpstreamTlsConfig {
  return { caFile: pki.caFile, certFile: undefined, keyFile: undefined, serverName: undefined, verify: true, ...overrides };
}

async function front(...args: Parameters<typeof startFront>): Promise<Front> {
  const started = await startFront(...args);
  cleanups.push(() => started.close());
  return started;
}

test("an HTTPS upstream whose certificate chains to the configured CA is served", async () => {
  const proxy = await front(upstreamConfig([plain.url], { tls: tls({}) }));
  const got = await send(`${proxy.url}/`);
  assert.equal(got.status, 200);
  assert.match(got.body.toString(), /^tls ok/);
});

test("an HTTPS upstream verified against the wrong CA → 502, counted as a connect failure", async () => {
  const proxy = await front(upstreamConfig([plain.url], { tls: tls({ caFile: pki.wrongCaFile }) }));
  const got = await send(`${proxy.url}/`);
  assert.equal(got.status, 502);
  assert.equal(got.headers["content-type"], "application/problem+json");
  assert.equal((await proxy.result(0)).error, "connect");
});

test("verify: false accepts a certificate no configured CA vouches for", async () => {
  const proxy = await front(upstreamConfig([plain.url], { tls: tls({ caFile: pki.wrongCaFile, verify: false }) }));
  assert.equal((await send(`${proxy.url}/`)).status, 200);
});

test("server_name is sent as SNI and checked against the certificate", async () => {
  const proxy = await front(upstreamConfig([plain.url], { tls: tls({ serverName: "upstream.test" }) }));
  const got = await send(`${proxy.url}/`);
  assert.equal(got.body.toString(), "tls ok, sni=upstream.test");
  const mismatch = await front(upstreamConfig([plain.url], { tls: tls({ serverName: "other.test" }) }));
  assert.equal((await send(`${mismatch.url}/`)).status, 502);
});

test("a client certificate is presented to an upstream that requires one", async () => {
  const withCert = await front(upstreamConfig([mutual.url], { tls: tls({ certFile: pki.clientCertFile, keyFile: pki.clientKeyFile }) }));
  const got = await send(`${withCert.url}/`);
  assert.equal(got.status, 200);
  assert.equal(got.body.toString(), "client=client");
  const withoutCert = await front(upstreamConfig([mutual.url], { tls: tls({}) }));
  assert.equal((await send(`${withoutCert.url}/`)).status, 502);
});

test("health checks toward an HTTPS upstream use the same TLS settings", async () => {
  const proxy = await front(upstreamConfig([mutual.url], {
    tls: tls({ certFile: pki.clientCertFile, keyFile: pki.clientKeyFile }),
    healthCheck: { path: "/health", intervalMs: 30, timeoutMs: 500, healthyAfter: 1, unhealthyAfter: 1 },
  }));
  const before = healthChecks;
  await sleep(200);
  assert.ok(healthChecks - before >= 2, `${healthChecks - before} health checks answered`);
  assert.equal(proxy.pool.health()[0]?.reason, "ok");
});

test("an unreadable TLS file fails pool creation with a coded error naming the file", () => {
  const missing = `${pki.dir}/missing.crt`;
  assert.throws(
    () => createUpstreamPools(new Map([["api", upstreamConfig([plain.url], { tls: tls({ caFile: missing }) })]])),
    (error: unknown) => error instanceof UpstreamTlsFileError && error.code === "RAMPART_ERR_UPSTREAM_TLS_FILE" && error.message.includes(missing),
  );
});
