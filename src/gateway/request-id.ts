/** Request ids: a random per-process prefix and a counter — unique, cheap, not guessable across restarts. */
import { randomBytes } from "node:crypto";

const prefix = randomBytes(6).toString("base64url");
let counter = 0;

/** A new request id, e.g. `q3Zk1V_a-1f`. */
export function nextRequestId(): string {
  counter++;
  return `${prefix}-${counter.toString(36)}`;
}

// Printable ASCII without spaces, bounded: a proxy's id is copied into logs and headers.
const ACCEPTABLE_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The id to use: the `X-Request-Id` a trusted proxy sent (so one id follows a request through
 * the whole chain), or a new one. A client's own id is never believed: it could collide with
 * another request's id on purpose and confuse the audit trail.
 */
export function requestIdFor(header: string | string[] | undefined, fromTrustedProxy: boolean): string {
  if (fromTrustedProxy && typeof header === "string" && ACCEPTABLE_ID.test(header)) return header;
  return nextRequestId();
}
