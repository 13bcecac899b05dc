/** Test certificates made with the openssl CLI in a temp folder: a CA, a server and a client cert, and an unrelated CA. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestPki {
  readonly dir: string;
  /** Files, for UpstreamTlsConfig. */
  readonly caFile: string;
  readonly wrongCaFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** Contents, for the upstream https server. */
  readonly ca: Buffer;
  readonly serverCert: Buffer;
  readonly serverKey: Buffer;
  remove(): void;
}

function openssl(dir: string, args: readonly string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
    "-subj", `/CN=${name}`, "-keyout", `${name}.key`, "-out", `${name}.crt`,
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
}

function makeLeaf(dir: string, name: string, ca: string, extensions: string): void {
  openssl(dir, ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", `/CN=${name}`,
    "-keyout", `${name}.key`, "-out", `${name}.csr`]);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial",
    "-days", "2", "-out", `${name}.crt`, "-extfile", `${name}.ext`]);
}

/** Creates the PKI (a few hundred ms with EC keys). Call remove() when done. */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "rampart-upstream-pki-"));
  makeCa(dir, "ca");
  makeCa(dir, "wrong-ca");
  makeLeaf(dir, "server", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:upstream.test\nextendedKeyUsage=serverAuth\n");
  makeLeaf(dir, "client", "ca", "extendedKeyUsage=clientAuth\n");
  return {
    dir,
    caFile: join(dir, "ca.crt"),
    wrongCaFile: join(dir, "wrong-ca.crt"),
    clientCertFile: join(dir, "client.crt"),
    clientKeyFile: join(dir, "client.key"),
    ca: readFileSync(join(dir, "ca.crt")),
    serverCert: readFileSync(join(dir, "server.crt")),
    serverKey: readFileSync(join(dir, "server.key")),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
