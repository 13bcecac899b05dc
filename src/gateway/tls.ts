/** TLS for HTTPS listeners: reading certificate files, server options, and the client certificate as a fact. */
import { readFileSync } from "node:fs";
import { createSecureContext, type SecureContextOptions, type TLSSocket } from "node:tls";
import type { ListenerTlsConfig } from "../config/config.ts";
import type { TlsPeer } from "../engine/index.ts";

/** What `https.createServer` and `setSecureContext` need, read from the configured files. */
export interface ListenerTlsOptions extends SecureContextOptions {
  readonly requestCert: boolean;
  readonly rejectUnauthorized: boolean;
}

/** A certificate or key file that could not be read or parsed; the message names the file. */
export class TlsFileError extends Error {
  override readonly name = "TlsFileError";
}

/**
 * Reads the listener's certificate, key and client CA and checks that they form a usable
 * context (so a reload with a broken certificate is refused before anything is swapped).
 *
 * Client certificates: `client_ca` alone means every client must present a certificate that
 * chains to that CA (the handshake fails otherwise). `request_client_cert: true` asks for a
 * certificate but lets the handshake finish without one or with one that does not chain: the
 * request then carries `facts.tls.authorized = false`, so that a layer decides, logs and
 * answers with a problem instead of a silent handshake failure.
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
    rejectUnauthorized: ca !== undefined && !tls.requestClientCert,
    ...(ca === undefined ? {} : { ca }),
  };
  try {
    createSecureContext(options);
  } catch (error) {
    throw new TlsFileError(`${tls.certFile}: certificate and key do not form a usable TLS context (${(error as Error).message})`);
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
    throw new TlsFileError(`cannot read TLS ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
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
