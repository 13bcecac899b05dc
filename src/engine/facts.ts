/**
 * RequestFacts: everything the layers may know about a request, built once by the gateway or
 * an adapter. No HTTP objects here, so the engine runs the same behind any front end.
 */

import type { RouteMatch } from "./router.ts";

/** Lower-cased header names, as node:http gives them. */
export type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** The client certificate presented over TLS (mTLS), if any. */
export interface TlsPeer {
  /** Whether the certificate chained to a configured CA. */
  readonly authorized: boolean;
  readonly subject: string;
  readonly issuer: string;
  readonly fingerprint256: string;
  readonly serialNumber: string;
}

/** A bounded, read-only view of the start of the body, for routes that ask for one. */
export interface BodyView {
  /** Media type without parameters, lower-cased, e.g. `application/json`. */
  readonly contentType: string;
  readonly bytes: Uint8Array;
  /** True when the body was longer than the view: only `bytes` were seen. */
  readonly truncated: boolean;
}

export interface RequestFacts {
  /** Request id: taken from `X-Request-Id` only from trusted proxies, otherwise generated. */
  readonly id: string;
  /** When the request head was received (ms since the epoch, from the injected clock). */
  readonly receivedAt: number;
  /** The client address, derived through trusted proxies only; IPv4-mapped IPv6 is unwrapped. */
  readonly clientIp: string;
  /** The address of the TCP peer (the last proxy, or the client itself). */
  readonly peerIp: string;
  readonly method: string;
  /** Path without the query string, as sent (not decoded). */
  readonly path: string;
  /** Query string without the leading `?` ("" when none). */
  readonly query: string;
  readonly host: string;
  readonly protocol: "http" | "https";
  readonly headers: Headers;
  /** The route the path matched, or undefined when none did. */
  readonly route: RouteMatch | undefined;
  readonly tls: TlsPeer | undefined;
  /** Length of the request target (path and query) in bytes, for the URL size limit. */
  readonly urlBytes: number;
  /** Total size of the header block in bytes (names, values, separators), for the header limit. */
  readonly headerBytes: number;
  /** Declared body length (`Content-Length`), undefined for chunked bodies or none. */
  readonly contentLength: number | undefined;
  /** Present only on routes that declare `body.view_bytes`. */
  readonly body: BodyView | undefined;
}
