/** TLS for HTTPS listeners: reading certificate files, server options, and the client certificate as a fact. */
import { readFileSync } from "node:fs";
import { createSecureContext, type SecureContextOptions, type TLSSocket } from "node:tls";
import type { ListenerTlsConfig } from "../config/config.ts";
import { RampartError } from "../errors.ts";
import type { TlsPeer } from "../engine/index.ts";

/** What `https.createServer` and `setSecureContext` need, read from the configured files. */
export interface ListenerTlsOptions extends SecureContextOptions {
  readonly requestCert: boolean;
  readonly rejectUnauthorized: boolean;
}

/**
 * Reads the listener's certificate, key and client CA and checks that they form a usable
 * context (so a reload with a broken certificate is refused before anything is swapped).
 *
 * Client certificates: with `client_ca`, every client must present a certificate that chains
 * to that CA, or the handshake fails — a configured client CA is a gate, not a hint, and no
 * layer may forget to check it. `request_client_cert` without a CA asks for a certificate
 * and lets the handshake finish whatever comes: the request carries `facts.tls` (with
 * `authorized` as the system roots judged it) for a layer to decide.
 */
export function readListenerTls(tls: ListenerTlsConfig): ListenerTlsOptions {
  const cert = readTlsFile(tls.certFile, "certificate");
  const key = readTlsFile(tls.keyFile, "private key");
  const ca = tls.clientCaFile === undefined ? undefined : readTlsFile(tls.clientCaFile, "client CA");
  const options: ListenerTlsOptions = {
    cert,
    key,
    minVersion: tls.minVersion,
    requestCert: tls.requestClientCert || ca !== undefined,
    rejectUnauthorized: ca !== undefined,
    ...(ca === undefined ? {} : { ca }),
  };
  try {
    createSecureContext(options);
  } catch (error) {
    throw new RampartError("RAMPART_ERR_FILE_UNREADABLE", `${tls.certFile} and ${tls.keyFile} do not form a usable TLS certificate and key (${(error as Error).message})`, { cause: error });
  }
  return options;
}

/** Files of every HTTPS listener, for the config watcher (certificates reload like the config). */
export function listenerTlsFiles(tls: ListenerTlsConfig | undefined): string[] {
  if (tls === undefined) return [];
  return tls.clientCaFile === undefined ? [tls.certFile, tls.keyFile] : [tls.certFile, tls.keyFile, tls.clientCaFile];
}

function readTlsFile(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new RampartError("RAMPART_ERR_FILE_UNREADABLE", `TLS ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
}

/** The client certificate of an mTLS connection as a fact, or undefined when none was presented. */
export function tlsPeerOf(socket: TLSSocket): TlsPeer | undefined {
  const cert = socket.getPeerCertificate();
  // An empty object means no certificate was sent.
  if (cert === null || cert === undefined || cert.fingerprint256 === undefined) return undefined;
  return {
    authorized: socket.authorized,
    subject: nameOf(cert.subject),
    issuer: nameOf(cert.issuer),
    fingerprint256: cert.fingerprint256,
    serialNumber: cert.serialNumber,
  };
}

function nameOf(name: Readonly<Record<string, string | string[] | undefined>> | undefined): string {
  if (name === undefined) return "";
  const parts: string[] = [];
  for (const key in name) {
    const value = name[key];
    if (value !== undefined) parts.push(`${key}=${Array.isArray(value) ? value.join("+") : value}`);
  }
  return parts.join(",");
}
