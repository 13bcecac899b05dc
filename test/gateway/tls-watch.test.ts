/** Certificates reload when their files change on disk, like the config: no SIGHUP, no restart. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generate } from "selfsigned";
import { runGatewayFromFile, type RunningGateway } from "../../src/gateway/run.ts";
import { basicYaml, tempFolder, writeText } from "../helpers/server-gateway.ts";
import { startRecordingUpstream, type RecordingUpstream } from "../helpers/server-upstream.ts";

async function certificate(name: string): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: "commonName", value: name }], {
    keySize: 2048,
    extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }],
  });
  return { cert: pems.cert, key: pems.private };
}

/** The subject CN of the certificate the listener serves, trusting only `ca`. */
function servedName(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/items`, { ca, agent: false, timeout: 3000 }, (res) => {
      const subject = (res.socket as import("node:tls").TLSSocket).getPeerCertificate().subject;
      res.resume();
      res.on("end", () => resolve(String(subject.CN)));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

describe("gateway: certificate files watched", () => {
  const folder = tempFolder();
  const certFile = join(folder, "cert.pem");
  const keyFile = join(folder, "key.pem");
  let upstream: RecordingUpstream;
  let running: RunningGateway;

  before(async () => {
    const first = await certificate("first.test");
    writeText(certFile, first.cert);
    writeText(keyFile, first.key);
    upstream = await startRecordingUpstream();
    const configFile = join(folder, "rampart.yaml");
    const routes = "  - { id: items, path: /items, methods: [GET], upstream: api }";
    writeText(configFile, `${basicYaml(upstream.url, routes).replace("    port: 0\n", `    port: 0\n    tls: { cert: ${certFile}, key: ${keyFile} }\n`)}
logging: { level: silent }
`);
    const result = await runGatewayFromFile(configFile, { signals: false, watch: true, env: {} });
    assert.ok(result.ok, result.ok ? "" : result.message);
    running = result.running;
  });
  after(async () => {
    await running?.stop();
    await upstream?.close();
  });

  it("serves a new certificate once its files are replaced on disk, within 5 s", async () => {
    const url = running.gateway.listeners[0]?.url ?? "";
    const first = readFileSync(certFile, "utf8");
    assert.equal(await servedName(url, first), "first.test");
    const second = await certificate("second.test");
    writeText(keyFile, second.key);
    writeText(certFile, second.cert);
    const deadline = Date.now() + 5000;
    let served = "";
    while (Date.now() < deadline) {
      served = await servedName(url, second.cert).catch(() => "");
      if (served === "second.test") break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(served, "second.test", "the listener kept the old certificate");
  });
});
