/**
 * One listener: a node:http or node:https server with the client-side defences set — header,
 * request and keep-alive timeouts (slow-loris), total and per-address connection caps,
 * a header size ceiling, and problem answers for requests the parser rejects.
 */
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import type { ListenerConfig } from "../config/config.ts";
import { RampartError } from "../errors.ts";
import type { CidrSet } from "../net/cidr.ts";
import { answerClientError } from "./client-error.ts";
import { createConnectionGuard, type ConnectionGuard } from "./connection-guard.ts";
import { createRequestHandler } from "./handler.ts";
import { hstsHeadersOf, readsClientCert, type ListenerState, type Runtime } from "./runtime.ts";
import { readListenerTls, type ListenerTlsOptions } from "./tls.ts";

/**
 * How often Node checks header and request timeouts. Its default (30 s) would let a client
 * that sends one header byte per second live up to 30 s past the header timeout.
 */
const TIMEOUT_CHECK_INTERVAL_MS = 250;

export interface Listener {
  readonly state: ListenerState;
  readonly server: Server;
  readonly guard: ConnectionGuard;
  /** `http://host:port` once bound. */
  url(): string;
  listen(): Promise<void>;
  /** Applies a reloaded config of the same listener (timeouts, caps, HSTS, TLS files read beforehand). */
  apply(config: ListenerConfig, tls: ListenerTlsOptions | undefined): void;
}

export interface ListenerDeps {
  readonly runtime: Runtime;
  /** Largest header block any route accepts: Node's own ceiling sits above it. */
  readonly maxHeaderSize: number;
  readonly trusted: () => CidrSet | undefined;
}

/** Creates the server (not yet listening). Throws RAMPART_ERR_FILE_UNREADABLE when a TLS file is unusable. */
export function createListener(state: ListenerState, deps: ListenerDeps): Listener {
  const config = state.config;
  const options = {
    maxHeaderSize: deps.maxHeaderSize,
    // Host is checked by the handler, so that its absence gets a problem answer like every other error.
    requireHostHeader: false,
    connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    ...timeoutsOf(config),
  };
  const tls = config.tls === undefined ? undefined : readListenerTls(config.tls);
  const server = tls === undefined ? createHttpServer(options) : createHttpsServer({ ...options, ...tls });
  server.maxConnections = config.maxConnections;
  const guard = createConnectionGuard({ maxPerIp: () => state.config.maxConnectionsPerIp, trusted: deps.trusted });
  // 'connection' is the raw TCP socket, before any TLS handshake: over-cap peers cost nothing more.
  server.on("connection", (socket: Socket) => guard.admit(socket));
  server.on("clientError", (error: Error & { code?: string }, socket) => {
    const status = answerClientError(error, socket, state.hstsHeaders?.["strict-transport-security"]);
    deps.runtime.log.logger.debug({ code: error.code, status, peer: (socket as Socket).remoteAddress }, "malformed request refused");
  });
  // A TLS handshake failure (wrong version, bad client certificate) is the client's problem, not ours.
  server.on("tlsClientError", (error: Error & { code?: string }, socket: Socket) => {
    deps.runtime.log.logger.debug({ code: error.code, peer: socket.remoteAddress }, "TLS handshake failed");
    socket.destroy();
  });
  server.on("request", createRequestHandler(deps.runtime, state));

  return {
    state,
    server,
    guard,
    url() {
      const address = server.address();
      if (address === null || typeof address === "string") return `${state.protocol}://${state.config.address}:${state.config.port}`;
      const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
      return `${state.protocol}://${host}:${address.port}`;
    },
    listen() {
      return new Promise((resolve, reject) => {
        const onError = (error: Error): void => reject(listenError(state.config, error));
        server.once("error", onError);
        server.listen(state.config.port, state.config.address, () => {
          server.off("error", onError);
          resolve();
        });
      });
    },
    apply(next, nextTls) {
      const timeouts = timeoutsOf(next);
      server.headersTimeout = timeouts.headersTimeout;
      server.requestTimeout = timeouts.requestTimeout;
      server.keepAliveTimeout = timeouts.keepAliveTimeout;
      server.maxConnections = next.maxConnections;
      if (nextTls !== undefined && "setSecureContext" in server) {
        // New handshakes get the new certificate; open connections keep theirs.
        const tlsServer = server as unknown as TlsServerSettings;
        tlsServer.setSecureContext(nextTls);
        tlsServer.requestCert = nextTls.requestCert;
        tlsServer.rejectUnauthorized = nextTls.rejectUnauthorized;
      }
      state.config = next;
      state.hstsHeaders = hstsHeadersOf(next);
      state.readsClientCert = readsClientCert(next);
    },
  };
}

/** What node:tls reads per new connection, so that a reload applies to the next handshake. */
interface TlsServerSettings {
  setSecureContext(options: ListenerTlsOptions): void;
  requestCert: boolean;
  rejectUnauthorized: boolean;
}

/** Node insists that the header timeout not exceed the request timeout. */
function timeoutsOf(config: ListenerConfig): { headersTimeout: number; requestTimeout: number; keepAliveTimeout: number } {
  const requestTimeout = config.requestTimeoutMs;
  const headersTimeout = requestTimeout > 0 ? Math.min(config.headersTimeoutMs, requestTimeout) : config.headersTimeoutMs;
  return { headersTimeout, requestTimeout, keepAliveTimeout: config.keepAliveTimeoutMs };
}

/** A listener could not bind (address in use, no permission): a runtime failure, exit code 1. */
function listenError(listener: ListenerConfig, cause: Error & { code?: string }): RampartError {
  return new RampartError("RAMPART_ERR_LISTEN", `listener "${listener.name}" on ${listener.address}:${listener.port}: ${cause.code ?? cause.message}`, { cause });
}
