/**
 * RFC 9457 `application/problem+json` answers. The body names neither the product nor the
 * deciding layer (a honeypot 404 must look like any 404): reasons go to the log, and to
 * `detail` only when debug errors are on.
 */
import { STATUS_CODES, type ServerResponse } from "node:http";

/** Prepared bodies for the statuses the gateway sends, so an answer allocates nothing new. */
const bodies = new Map<number, string>();

function bodyFor(status: number): string {
  let body = bodies.get(status);
  if (body === undefined) {
    body = JSON.stringify({ type: "about:blank", title: STATUS_CODES[status] ?? "Error", status });
    bodies.set(status, body);
  }
  return body;
}

/** Builds the JSON text of a problem, with `detail` when given (debug mode). */
export function problemBody(status: number, detail?: string): string {
  if (detail === undefined) return bodyFor(status);
  return JSON.stringify({ type: "about:blank", title: STATUS_CODES[status] ?? "Error", status, detail });
}

/** Sends a problem answer; does nothing when the response has already started. */
export function sendProblem(res: ServerResponse, status: number, headers?: Readonly<Record<string, string>>, detail?: string): void {
  if (res.headersSent || res.destroyed) return;
  const body = problemBody(status, detail);
  if (headers !== undefined) for (const name in headers) res.setHeader(name, headers[name] as string);
  res.setHeader("content-type", "application/problem+json");
  res.setHeader("content-length", Buffer.byteLength(body));
  res.setHeader("cache-control", "no-store");
  res.statusCode = status;
  res.end(res.req?.method === "HEAD" ? undefined : body);
}
