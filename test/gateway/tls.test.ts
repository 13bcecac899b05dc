/** HTTPS listeners: a self-signed certificate served, HSTS sent, TLS 1.1 refused, certificates reloaded. */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { request } from "node:https";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { connect } from "node:tls";
import { generate } from "selfsigned";
import { basicYaml, configFrom, startTestGateway, tempFolder, writeText, type TestGateway } from "../helpers/server-gateway.ts";

const ROUTES = `
  - id: items
    path: /items
    methods: [GET]
    upstream: api
`;

async function certificate(name: string): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: "commonName", value: name }], {
    keySize: 2048,
    extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }, { type: 2, value: "localhost" }] }],
  });
  return { cert: pems.cert, key: pems.private };
}

interface HttpsAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly fingerprint: string;
}

function get(url: string, ca: string): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/items`, { ca, agent: false, timeout: 3000 }, (res) => {
      const fingerprint = (res.socket as import("node:tls").TLSSocket).getPeerCertificate().fingerprint256;
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, fingerprint }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

describe("gateway: HTTPS listener", () => {
  const folder = tempFolder();
  const certFile = join(folder, "cert.pem");
  const keyFile = join(folder, "key.pem");
  let first: { cert: string; key: string };
  let t: TestGateway;
  let yaml: string;

  before(async () => {
    first = await certificate("first.test");
    writeText(certFile, first.cert);
    writeText(keyFile, first.key);
    t = await startTestGateway((upstream) => {
      yaml = basicYaml(upstream, ROUTES).replace("    port: 0\n", `    port: 0\n    tls:\n      cert: ${certFile}\n      key: ${keyFile}\n`);
      return yaml;
    });
  });
  after(() => t.close());

  it("serves HTTPS with the configured certificate and sends HSTS", async () => {
    assert.match(t.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const answer = await get(t.url, first.cert);
    assert.equal(answer.status, 200);
    assert.equal(answer.fingerprint, new X509Certificate(first.cert).fingerprint256);
    assert.equal(answer.headers["strict-transport-security"], "max-age=31536000");
    const seen = t.upstream.seen.at(-1);
    assert.equal(seen?.headers["x-forwarded-proto"], "https");
  });

  it("sends HSTS on problem answers too", async () => {
    const answer = await new Promise<number | string | string[] | undefined>((resolve, reject) => {
      const req = request(`${t.url}/nowhere`, { ca: first.cert, agent: false }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.headers["strict-transport-security"]));
      });
      req.on("error", reject);
      req.end();
    });
    assert.equal(answer, "max-age=31536000");
  });

  it("refuses TLS 1.1", async () => {
    const { port } = new URL(t.url);
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({
        host: "127.0.0.1",
        port: Number(port),
        minVersion: "TLSv1",
        maxVersion: "TLSv1.1",
        ciphers: "DEFAULT@SECLEVEL=0",
        rejectUnauthorized: false,
      });
      socket.setTimeout(3000, () => socket.destroy(new Error("timeout")));
      socket.once("secureConnect", () => {
        resolve(`connected with ${socket.getProtocol()}`);
        socket.destroy();
      });
      socket.once("error", (error: Error & { code?: string }) => resolve(error.code ?? error.message));
    });
    assert.match(outcome, /PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|NO_PROTOCOLS/, outcome);
  });

  it("reloads certificates: new handshakes get the new one; a broken one is refused and the old stays", async () => {
    const second = await certificate("second.test");
    writeText(certFile, second.cert);
    writeText(keyFile, second.key);
    await t.gateway.reload(configFrom(yaml));
    const answer = await get(t.url, second.cert);
    assert.equal(answer.status, 200);
    assert.equal(answer.fingerprint, new X509Certificate(second.cert).fingerprint256);

    writeText(certFile, "not a certificate");
    await assert.rejects(async () => t.gateway.reload(configFrom(yaml)));
    writeText(certFile, second.cert);
    const still = await get(t.url, second.cert);
    assert.equal(still.fingerprint, new X509Certificate(second.cert).fingerprint256);
  });
});

describe("gateway: HTTPS listener with a client CA (mTLS)", () => {
  const folder = tempFolder();
  let server: { cert: string; key: string };
  let client: { cert: string; key: string };
  let stranger: { cert: string; key: string };
  let t: TestGateway;

  before(async () => {
    server = await certificate("server.test");
    const ca = await generate([{ name: "commonName", value: "Test Client CA" }], {
      keySize: 2048,
      extensions: [{ name: "basicConstraints", cA: true, critical: true }, { name: "keyUsage", keyCertSign: true, digitalSignature: true, critical: true }],
    });
    const signed = await generate([{ name: "commonName", value: "client-1" }], {
      keySize: 2048,
      ca: { key: ca.private, cert: ca.cert },
      extensions: [{ name: "extKeyUsage", clientAuth: true }],
    });
    client = { cert: signed.cert, key: signed.private };
    stranger = await certificate("stranger.test");
    writeText(join(folder, "cert.pem"), server.cert);
    writeText(join(folder, "key.pem"), server.key);
    writeText(join(folder, "ca.pem"), ca.cert);
    t = await startTestGateway((upstream) =>
      basicYaml(upstream, ROUTES).replace(
        "    port: 0\n",
        `    port: 0\n    tls:\n      cert: ${join(folder, "cert.pem")}\n      key: ${join(folder, "key.pem")}\n      client_ca: ${join(folder, "ca.pem")}\n`,
      ),
    );
  });
  after(() => t.close());

  function getWith(identity: { cert: string; key: string } | undefined): Promise<number | string> {
    return new Promise((resolve) => {
      const req = request(`${t.url}/items`, { ca: server.cert, agent: false, timeout: 3000, ...(identity ?? {}) }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", (error: Error & { code?: string }) => resolve(error.code ?? error.message));
      req.end();
    });
  }

  it("serves a client whose certificate chains to the client CA", async () => {
    assert.equal(await getWith(client), 200);
  });

  it("refuses a client without a certificate, or with one from another CA", async () => {
    assert.notEqual(await getWith(undefined), 200);
    assert.notEqual(await getWith(stranger), 200);
  });
});
