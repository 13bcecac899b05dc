/** TLS options toward an HTTPS upstream, read from the configured files once at pool creation. */
import { readFileSync } from "node:fs";
import type { UpstreamTlsConfig } from "../../config/config.ts";

/** A TLS file named in the config could not be read; the pool is not created. */
export class UpstreamTlsFileError extends Error {
  readonly code = "RAMPART_ERR_UPSTREAM_TLS_FILE";
  readonly file: string;
  constructor(upstream: string, what: string, file: string, cause: unknown) {
    super(`upstream "${upstream}": cannot read the TLS ${what} file ${file} (check upstreams.${upstream}.tls and the file's permissions)`, { cause });
    this.name = "UpstreamTlsFileError";
    this.file = file;
  }
}

/** The TLS fields of undici's connect options that an upstream config can set. */
export interface UpstreamTlsOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
  rejectUnauthorized?: boolean;
}

function readTlsFile(upstream: string, what: string, file: string | undefined): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (cause) {
    throw new UpstreamTlsFileError(upstream, what, file, cause);
  }
}

/**
 * The TLS part of undici's connect options. Without a config the system CAs verify the upstream.
 * `verify: false` is the operator's explicit choice to accept any certificate (lab setups only).
 */
export function upstreamTlsOptions(upstream: string, tls: UpstreamTlsConfig | undefined): UpstreamTlsOptions {
  if (tls === undefined) return {};
  const options: UpstreamTlsOptions = { rejectUnauthorized: tls.verify };
  const ca = readTlsFile(upstream, "CA", tls.caFile);
  const cert = readTlsFile(upstream, "client certificate", tls.certFile);
  const key = readTlsFile(upstream, "client key", tls.keyFile);
  if (ca !== undefined) options.ca = ca;
  if (cert !== undefined) options.cert = cert;
  if (key !== undefined) options.key = key;
  if (tls.serverName !== undefined) options.servername = tls.serverName;
  return options;
}
