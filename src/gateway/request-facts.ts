/** Builds a request's RequestFacts once, from node:http objects, for the engine. */
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import { deriveClientIp } from "../engine/client-ip.ts";
import type { BodyView, RequestFacts, RouteMatch, TlsPeer } from "../engine/index.ts";
import type { CidrSet } from "../net/cidr.ts";
import { peerIpOf } from "./peer-address.ts";
import { requestIdFor } from "./request-id.ts";
import { tlsPeerOf } from "./tls.ts";

/** Where the request arrived: fixed per listener. */
export interface ArrivalSide {
  readonly protocol: "http" | "https";
  /** Whether the listener asks for client certificates (only then is the peer read). */
  readonly readsClientCert: boolean;
}

/** The client certificate is the same for every request of a connection: read it once. */
const peers = new WeakMap<object, TlsPeer | null>();

function tlsPeerFor(socket: TLSSocket): TlsPeer | undefined {
  let peer = peers.get(socket);
  if (peer === undefined) {
    peer = tlsPeerOf(socket) ?? null;
    peers.set(socket, peer);
  }
  return peer ?? undefined;
}

/** The part of the facts that comes before the route is known: addresses and the id. */
export interface Origin {
  readonly peerIp: string;
  readonly clientIp: string;
  readonly fromTrustedProxy: boolean;
}

/**
 * Who is asking. The TCP peer is the only address nobody can forge; `X-Forwarded-For` is
 * believed only when that peer is a trusted proxy (deriveClientIp walks it from the right).
 */
export function originOf(req: IncomingMessage, trusted: CidrSet | undefined): Origin {
  const peerIp = peerIpOf(req.socket);
  const fromTrustedProxy = trusted !== undefined && trusted.has(peerIp);
  const forwardedFor = req.headers["x-forwarded-for"];
  const clientIp = fromTrustedProxy && forwardedFor !== undefined ? deriveClientIp(peerIp, forwardedFor, trusted) : peerIp;
  return { peerIp, clientIp, fromTrustedProxy };
}

/** Total size of the header block: names, values, `: ` and CRLF per line. */
export function headerBytesOf(rawHeaders: readonly string[]): number {
  // Node decodes header bytes as latin1, so string length is the byte count.
  let bytes = 0;
  for (let i = 0; i < rawHeaders.length; i++) bytes += (rawHeaders[i] as string).length;
  return bytes + 2 * rawHeaders.length;
}

/** Builds the facts. `route` is matched by the caller (it decides whether a body view is read). */
export function buildFacts(
  req: IncomingMessage,
  origin: Origin,
  side: ArrivalSide,
  route: RouteMatch | undefined,
  body: BodyView | undefined,
  receivedAt: number,
): RequestFacts {
  const url = req.url ?? "/";
  const question = url.indexOf("?");
  const headers = req.headers;
  const length = headers["content-length"];
  return {
    id: requestIdFor(headers["x-request-id"], origin.fromTrustedProxy),
    receivedAt,
    clientIp: origin.clientIp,
    peerIp: origin.peerIp,
    method: req.method ?? "GET",
    path: question === -1 ? url : url.slice(0, question),
    query: question === -1 ? "" : url.slice(question + 1),
    host: headers.host ?? "",
    protocol: side.protocol,
    headers,
    route,
    tls: side.readsClientCert ? tlsPeerFor(req.socket as TLSSocket) : undefined,
    urlBytes: url.length,
    headerBytes: headerBytesOf(req.rawHeaders),
    contentLength: length === undefined ? undefined : Number(length),
    body,
  };
}

/** The path part of the request target, for route matching before the facts exist. */
export function pathOf(url: string): string {
  const question = url.indexOf("?");
  return question === -1 ? url : url.slice(0, question);
}
