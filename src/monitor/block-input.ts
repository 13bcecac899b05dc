/** Operator block requests of the admin API: checked and normalized before they reach Controls. */
import { BLOCK_KINDS, type Block, type BlockKind, type NewBlock } from "../engine/index.ts";
import { canonicalCidr } from "../net/cidr.ts";
import { canonicalIp } from "../net/ip.ts";

/** A request the API refuses, with a detail that names the field and what it should be. */
export interface InputError {
  readonly ok: false;
  readonly detail: string;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | InputError;

/** Longest block accepted from the API: a year (a "forever" block is one without `ttl`). */
const MAX_TTL_MS = 366 * 24 * 3600 * 1000;
const MAX_REASON_CHARS = 500;
const MAX_VALUE_CHARS = 256;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;

function fail(detail: string): InputError {
  return { ok: false, detail };
}

/** `ttl`: seconds as a number, or a duration such as `"90s"`, `"15m"`, `"1h"`, `"7d"`. */
export function parseTtl(ttl: unknown): Parsed<number> {
  let ms: number | undefined;
  if (typeof ttl === "number") ms = ttl * 1000;
  else if (typeof ttl === "string") {
    const match = DURATION.exec(ttl.trim());
    if (match !== null) ms = Number(match[1]) * (UNIT_MS[match[2] ?? "s"] ?? 1000);
  }
  if (ms === undefined || !Number.isFinite(ms)) return fail(`ttl: ${JSON.stringify(ttl)} is not a duration; use seconds (3600) or a string such as "90s", "15m", "1h", "7d"`);
  if (ms < 1000 || ms > MAX_TTL_MS) return fail(`ttl: must be between 1 second and 366 days, got ${JSON.stringify(ttl)}`);
  return { ok: true, value: Math.round(ms) };
}

/**
 * Brings a value to the one spelling Controls matches on, so `2001:DB8::1`, `2001:db8:0::1`
 * and `::ffff:192.0.2.1` cannot be blocked twice or miss each other. The canonical forms come
 * from src/net, the same ones the stores and the request facts use. IPv4 only in four-part
 * decimal (`10.1` or `0x7f.1` would block a surprise address).
 */
export function normalizeBlockValue(kind: BlockKind, raw: string): Parsed<string> {
  const value = raw.trim();
  if (value === "" || value.length > MAX_VALUE_CHARS) return fail(`value: must be a non-empty string of at most ${MAX_VALUE_CHARS} characters`);
  switch (kind) {
    case "ip": {
      const address = canonicalIp(value);
      return address === undefined ? fail(`value: "${value}" is not an IPv4 or IPv6 address`) : { ok: true, value: address };
    }
    case "prefix": {
      const network = canonicalCidr(value);
      return network === undefined ? fail(`value: "${value}" is not a CIDR prefix such as 203.0.113.0/24 or 2001:db8::/48`) : { ok: true, value: network };
    }
    case "asn": {
      const match = /^(?:AS)?(\d{1,10})$/i.exec(value);
      const asn = match === null ? Number.NaN : Number(match[1]);
      // AS0 is reserved (RFC 7607): it names no network, so blocking it is a typo.
      return Number.isInteger(asn) && asn > 0 && asn <= 0xffffffff ? { ok: true, value: `AS${asn}` } : fail(`value: "${value}" is not an AS number such as AS13335`);
    }
    case "country":
      return /^[a-z]{2}$/i.test(value) ? { ok: true, value: value.toUpperCase() } : fail(`value: "${value}" is not a two-letter country code such as DE`);
    case "key":
      return { ok: true, value };
  }
}

export function isBlockKind(kind: unknown): kind is BlockKind {
  return typeof kind === "string" && (BLOCK_KINDS as readonly string[]).includes(kind);
}

/** Checks a `POST /blocks` body; the author is the authenticated operator, never the body. */
export function parseNewBlock(body: unknown, operator: string): Parsed<NewBlock> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return fail("body: must be a JSON object with kind, value, and optionally ttl and reason");
  const fields = body as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (!["kind", "value", "ttl", "reason"].includes(name)) return fail(`${name}: unknown field; a block has kind, value, ttl and reason`);
  }
  if (!isBlockKind(fields["kind"])) return fail(`kind: must be one of ${BLOCK_KINDS.join(", ")}, got ${JSON.stringify(fields["kind"])}`);
  if (typeof fields["value"] !== "string") return fail("value: required, a string");
  const value = normalizeBlockValue(fields["kind"], fields["value"]);
  if (!value.ok) return value;
  const reason = fields["reason"] ?? "";
  if (typeof reason !== "string" || reason.length > MAX_REASON_CHARS) return fail(`reason: must be a string of at most ${MAX_REASON_CHARS} characters`);
  const block: NewBlock = { kind: fields["kind"], value: value.value, reason, author: operator, source: "operator" };
  if (fields["ttl"] === undefined) return { ok: true, value: block };
  const ttl = parseTtl(fields["ttl"]);
  if (!ttl.ok) return ttl;
  return { ok: true, value: { ...block, ttlMs: ttl.value } };
}

/** A block as the API shows it: snake_case, times in ISO 8601, `expires_at` null when permanent. */
export function blockToJson(block: Block): Record<string, unknown> {
  return {
    kind: block.kind,
    value: block.value,
    reason: block.reason,
    author: block.author,
    source: block.source,
    created_at: new Date(block.createdAt).toISOString(),
    expires_at: block.expiresAt === undefined ? null : new Date(block.expiresAt).toISOString(),
  };
}
