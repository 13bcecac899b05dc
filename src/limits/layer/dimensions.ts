/**
 * Key extraction: what a limit counts per (`[ip]`, `[body.username]`, `[key_id, route]`),
 * read from the request once and normalized, so that re-spelling a value (case, dots and
 * `+tags` in an e-mail, punctuation in a phone number, an IPv4-mapped IPv6 address, another
 * address of the same IPv6 /56) never opens a fresh bucket. Anything absent or malformed is
 * the `<missing>` bucket: a shared bucket, never a free pass.
 */
import type { LimitCost, LimitDimension } from "../../config/config.ts";
import type { LayerContext, RequestFacts } from "../../engine/index.ts";
import {
  boundPart, compoundKey, ipBucket, keyPart, MISSING, normalizeEmail, normalizePhone, normalizeText,
} from "../normalize.ts";

export interface DimensionSettings {
  /** Prefix an IPv6 client is counted by for `ip` (IPv4 is counted per address). */
  readonly ipV6Prefix: number;
  readonly prefixV4: number;
  readonly prefixV6: number;
  readonly sessionCookie: string;
}

/** Field names whose values are phone numbers: compared by digits only. */
const PHONE_FIELD = /phone|mobile|msisdn|(^|[._-])tel($|[._-])/i;
/** Field names whose values are e-mail addresses: a value that is not one is malformed. */
const EMAIL_FIELD = /e-?mail/i;
const JSON_TYPE = /^application\/(.+\+)?json$/;
const FORM_TYPE = "application/x-www-form-urlencoded";
const NOT_PARSED = Symbol("not parsed");

/**
 * One request as the dimensions read it: the query string, the cookies and the body are
 * parsed at most once, and only if a limit asks for them.
 */
export class RequestView {
  readonly facts: RequestFacts;
  readonly ctx: LayerContext;
  readonly settings: DimensionSettings;
  #query: URLSearchParams | undefined;
  #body: unknown = NOT_PARSED;
  #cookies: Map<string, string> | undefined;

  constructor(facts: RequestFacts, ctx: LayerContext, settings: DimensionSettings) {
    this.facts = facts;
    this.ctx = ctx;
    this.settings = settings;
  }

  /** The raw value of `header.NAME`, `query.NAME` or `body.FIELD` (undefined when absent). */
  field(source: "header" | "query" | "body", name: string): unknown {
    switch (source) {
      case "header": {
        const value = this.facts.headers[name];
        return Array.isArray(value) ? value[0] : value;
      }
      case "query":
        this.#query ??= new URLSearchParams(this.facts.query);
        return this.#query.get(name) ?? undefined;
      case "body":
        return walk(this.#parsedBody(), name);
    }
  }

  cookie(name: string): string | undefined {
    if (this.#cookies === undefined) {
      this.#cookies = new Map();
      const header = this.facts.headers["cookie"];
      for (const line of Array.isArray(header) ? header : header === undefined ? [] : [header]) {
        for (const pair of line.split(";")) {
          const eq = pair.indexOf("=");
          if (eq <= 0) continue;
          const key = pair.slice(0, eq).trim();
          // The first cookie of a name wins, as browsers send the most specific first.
          if (!this.#cookies.has(key)) this.#cookies.set(key, pair.slice(eq + 1).trim());
        }
      }
    }
    return this.#cookies.get(name);
  }

  #parsedBody(): unknown {
    if (this.#body === NOT_PARSED) this.#body = parseBody(this.facts);
    return this.#body;
  }
}

/** The JSON or form body as a value, or undefined when there is none or it cannot be read whole. */
function parseBody(facts: RequestFacts): unknown {
  const body = facts.body;
  // A truncated body cannot be trusted to hold the field it would have held: its fields are <missing>.
  if (body === undefined || body.truncated || body.bytes.length === 0) return undefined;
  const text = Buffer.from(body.bytes.buffer, body.bytes.byteOffset, body.bytes.byteLength).toString("utf8");
  if (body.contentType === FORM_TYPE) return new URLSearchParams(text);
  if (!JSON_TYPE.test(body.contentType)) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** `user.email` walks nested JSON objects; a form has flat names (its first value of a name counts). */
function walk(value: unknown, path: string): unknown {
  if (value instanceof URLSearchParams) return value.get(path) ?? undefined;
  if (value === null || typeof value !== "object") return undefined;
  if (Object.hasOwn(value, path)) return (value as Record<string, unknown>)[path];
  let node: unknown = value;
  for (const key of path.split(".")) {
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/**
 * A field value as a key part: phone-named fields by digits, e-mail-named fields as a
 * mailbox, any other value that is an e-mail address as a mailbox too (a username that is an
 * address must not escape by re-spelling), text otherwise. Objects, arrays, booleans: missing.
 */
export function normalizeField(name: string, value: unknown): string {
  if (PHONE_FIELD.test(name)) return normalizePhone(value);
  if (EMAIL_FIELD.test(name)) return normalizeEmail(value);
  if (typeof value === "string" && value.includes("@")) {
    const mailbox = normalizeEmail(value);
    if (mailbox !== MISSING) return mailbox;
  }
  return normalizeText(value);
}

/** The key part of one dimension for this request. */
export function dimensionValue(dimension: LimitDimension, view: RequestView): string {
  const { facts, ctx, settings } = view;
  switch (dimension.kind) {
    // The client address was derived through trusted proxies only (facts.clientIp).
    case "ip": return ipBucket(facts.clientIp, 32, settings.ipV6Prefix);
    case "ip_prefix": return ipBucket(facts.clientIp, settings.prefixV4, settings.prefixV6);
    case "key_id": return present(ctx.identity?.keyId);
    case "subject": return present(ctx.identity?.subject);
    case "session": return present(view.cookie(settings.sessionCookie));
    case "route": return facts.route?.route.id ?? MISSING;
    case "global": return "*";
    // No IP intelligence yet: every client shares the <missing> bucket of these dimensions.
    case "asn":
    case "country": return MISSING;
    case "header":
    case "query":
    case "body": return normalizeField(dimension.name, view.field(dimension.kind, dimension.name));
  }
}

/** The counter key part of a list of dimensions (escaped so that no two tuples collide). */
export function keyOf(dimensions: readonly LimitDimension[], view: RequestView): string {
  if (dimensions.length === 1) return keyPart(dimensionValue(dimensions[0]!, view));
  return compoundKey(dimensions.map((dimension) => dimensionValue(dimension, view)));
}

/** Units this request takes: a field's whole number, capped; missing or malformed → the fallback; never 0 from a field. */
export function costOf(cost: LimitCost, view: RequestView): number {
  if (cost.kind === "fixed") return cost.value;
  const raw = view.field(cost.source, cost.name);
  const text = typeof raw === "number" ? String(raw) : typeof raw === "string" ? raw.trim() : "";
  if (!/^[0-9]{1,15}$/.test(text)) return cost.fallback;
  return Math.min(cost.max, Math.max(1, Number(text)));
}

/** An identity or cookie value as a key part (bounded), or `<missing>`. */
function present(value: string | undefined): string {
  return value === undefined || value === "" ? MISSING : boundPart(value);
}
