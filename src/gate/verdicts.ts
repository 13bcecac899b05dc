/** The gate's verdicts: the constant ones built once and frozen, the rest only on the deny path. */
import type { Block, Verdict } from "../engine/index.ts";

const LAYER = "gate";

function deny(status: number, code: string, detail?: string): Verdict {
  const reason = detail === undefined ? { layer: LAYER, code } : { layer: LAYER, code, detail };
  return Object.freeze({ action: "deny", status, reason: Object.freeze(reason) });
}

/** 403 for an address on a deny list (global or route), or outside an allow list that is set. */
export const GLOBAL_IP_DENIED = deny(403, "ip_denied", "global deny list");
export const ROUTE_IP_DENIED = deny(403, "ip_denied", "route deny list");
export const GLOBAL_IP_NOT_ALLOWED = deny(403, "ip_not_allowed", "global allow list");
export const ROUTE_IP_NOT_ALLOWED = deny(403, "ip_not_allowed", "route allow list");
/** 404 for a path no route matches, when routes are strict. */
export const ROUTE_UNKNOWN = deny(404, "route_unknown");

/** 414, 431 or 413: the measured size and the limit go to the log. */
export function tooLarge(status: 413 | 414 | 431, code: string, size: number, limit: number): Verdict {
  return deny(status, code, `${size} bytes > ${limit}`);
}

/** An active block from Controls: its reason and author go to the log (the audit trail says who). */
export function blocked(block: Block): Verdict {
  return deny(403, "blocked", `${block.kind} ${block.value}: ${block.reason} (by ${block.author}, ${block.source})`);
}

/**
 * 415 for a body of a type the route does not accept. RFC 9110 §15.5.16 leaves the hint to
 * the method: `Accept-Post` (W3C LDP §7.1) and `Accept-Patch` (RFC 5789 §3.1) list the types
 * a client may send; other methods have no such header. What was received goes to the log.
 */
export function unsupportedMediaType(method: string, received: string, acceptHeader: string): Verdict {
  const reason = Object.freeze({ layer: LAYER, code: "unsupported_media_type", detail: `${received} (accepted: ${acceptHeader})` });
  const header = method === "POST" ? "accept-post" : method === "PATCH" ? "accept-patch" : undefined;
  if (header === undefined) return Object.freeze({ action: "deny", status: 415, reason });
  return Object.freeze({ action: "deny", status: 415, reason, headers: Object.freeze({ [header]: acceptHeader }) });
}

/** 405 with the methods the route accepts, built once per route. */
export function methodNotAllowed(allowHeader: string): Verdict {
  return Object.freeze({
    action: "deny",
    status: 405,
    reason: Object.freeze({ layer: LAYER, code: "method_not_allowed" }),
    headers: Object.freeze({ allow: allowHeader }),
  });
}
