/**
 * The gate's media-type check: a route that declares `body.content_types` refuses, with 415,
 * a request body of any other type. Prepared per route at construction.
 */
import type { RequestFacts, Verdict } from "../engine/index.ts";
import { unsupportedMediaType } from "./verdicts.ts";

/** What the gate needs to check one route's request bodies. */
export interface MediaTypePlan {
  /** Lower case, without parameters, as config/media-types.ts compiles them. */
  readonly accepted: ReadonlySet<string>;
  /** The list a client may send, for `Accept-Post` / `Accept-Patch`, e.g. `application/json, multipart/form-data`. */
  readonly acceptHeader: string;
}

/** The plan of a route, or undefined when the route accepts a body of any type. */
export function planMediaTypes(contentTypes: ReadonlySet<string> | undefined): MediaTypePlan | undefined {
  if (contentTypes === undefined) return undefined;
  return Object.freeze({ accepted: contentTypes, acceptHeader: [...contentTypes].join(", ") });
}

/**
 * Whether the request announces a body: a declared length above 0, or a chunked body
 * (`contentLength` is undefined then, `Transfer-Encoding` says so). A request with no body
 * has no type to check, whatever its `Content-Type` says.
 */
function carriesBody(facts: RequestFacts): boolean {
  if (facts.contentLength !== undefined) return facts.contentLength > 0;
  return facts.headers["transfer-encoding"] !== undefined;
}

/** `Application/JSON; charset=utf-8` → `application/json` (names are case-insensitive, RFC 9110 §8.3.1). */
function mediaTypeOf(header: string): string {
  const semicolon = header.indexOf(";");
  return (semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase();
}

/**
 * 415 when the request carries a body whose media type the route does not accept; a body
 * without a `Content-Type` is not accepted either (the upstream would have to guess, RFC 9110
 * §8.3). Allocates only for a header with parameters or capitals, and on the deny path.
 */
export function checkMediaType(plan: MediaTypePlan, facts: RequestFacts): Verdict | undefined {
  if (!carriesBody(facts)) return undefined;
  const header = facts.headers["content-type"];
  if (typeof header === "string") {
    if (plan.accepted.has(header)) return undefined;
    const type = mediaTypeOf(header);
    if (plan.accepted.has(type)) return undefined;
    // The client wrote this text: bounded before it reaches the log.
    const shown = type === "" ? "an empty Content-Type" : type.length > 100 ? `${type.slice(0, 100)}…` : type;
    return unsupportedMediaType(facts.method, shown, plan.acceptHeader);
  }
  return unsupportedMediaType(facts.method, header === undefined ? "no Content-Type" : "several Content-Type headers", plan.acceptHeader);
}
