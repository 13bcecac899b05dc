/**
 * Key normalization for limit dimensions: the same client, address or destination must land in
 * one bucket however it is spelled, or an attacker steps around the limit by re-spelling it.
 * Anything missing or malformed lands in the `<missing>` bucket — its own bucket, never a pass.
 */

import { createHash } from "node:crypto";
import ipaddr from "ipaddr.js";
import { formatV4, formatV6, parseIpWords, type IpWords } from "../net/ip.ts";

/** The bucket of a value that is absent or malformed. */
export const MISSING = "<missing>";

/** Values longer than this are replaced by a digest: bounded keys, bounded memory. */
export const MAX_KEY_PART = 128;

/** Bounds one key part: long values become `#` + a SHA-256 digest (distinct values stay distinct). */
export function boundPart(value: string): string {
  if (value.length <= MAX_KEY_PART) return value;
  return `#${createHash("sha256").update(value).digest("base64url")}`;
}

/**
 * The bucket of a client address: IPv4 masked to `v4Prefix` bits, IPv6 to `v6Prefix` bits
 * (defaults /32 and /56: one IPv6 customer usually holds a whole /56 or /48, so limiting by
 * /128 lets one client rotate through billions of addresses). An IPv4-mapped IPv6 address is
 * its IPv4 address, so `::ffff:1.2.3.4` and `1.2.3.4` share a bucket.
 */
export function ipBucket(ip: string, v4Prefix = 32, v6Prefix = 56): string {
  // Fast path for the usual spellings: allocation-free parse and word masking. A zone id, or
  // anything only ipaddr.js reads (octal, hex or short IPv4 forms), takes the path below, so
  // every bucket is the one ipaddr.js gives.
  if (ip.indexOf("%") === -1) {
    const kind = parseIpWords(ip, words);
    if (kind === 4) {
      if (v4Prefix >= 32) return formatV4(words[3]);
      return `${formatV4(maskWord(words[3], v4Prefix))}/${v4Prefix}`;
    }
    if (kind === 6) {
      if (v6Prefix >= 128) return formatV6(words);
      for (let i = 0; i < 4; i++) words[i] = maskWord(words[i]!, v6Prefix - i * 32);
      return `${formatV6(words)}/${v6Prefix}`;
    }
  }
  return ipBucketSlow(ip, v4Prefix, v6Prefix);
}

const words: IpWords = [0, 0, 0, 0];

/** The leading `bits` bits of an unsigned 32-bit word (all of it from 32 bits, none at 0 or less). */
function maskWord(word: number, bits: number): number {
  if (bits >= 32) return word;
  if (bits <= 0) return 0;
  return (word & (0xffffffff << (32 - bits))) >>> 0;
}

/** ipaddr.js reading of any spelling it accepts; the fast path must agree with it. */
function ipBucketSlow(ip: string, v4Prefix: number, v6Prefix: number): string {
  if (!ipaddr.isValid(ip)) return MISSING;
  const address = ipaddr.process(ip);
  const bits = address.kind() === "ipv4" ? v4Prefix : v6Prefix;
  const bytes = address.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    bytes[i] = bytes[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  const masked = ipaddr.fromByteArray(bytes);
  const text = masked.kind() === "ipv6" ? (masked as ipaddr.IPv6).toRFC5952String() : masked.toString();
  return bits >= bytes.length * 8 ? text : `${text}/${bits}`;
}

/** Case-folded, trimmed, inner whitespace collapsed, Unicode compatibility-normalized. */
export function normalizeText(value: unknown): string {
  if (typeof value !== "string" && typeof value !== "number") return MISSING;
  const text = String(value).normalize("NFKC").trim().replace(/\s+/g, " ").toLowerCase();
  return text === "" ? MISSING : boundPart(text);
}

/** Providers that ignore dots in the local part (and the domain alias they answer to). */
const DOTLESS_DOMAINS: ReadonlyMap<string, string> = new Map([["gmail.com", "gmail.com"], ["googlemail.com", "gmail.com"]]);

/**
 * One mailbox, one bucket: lower case, `+tag` removed (plus-addressing delivers to the same
 * mailbox at nearly every provider), dots removed where the provider ignores them. Malformed
 * addresses are `<missing>`.
 */
export function normalizeEmail(value: unknown): string {
  const text = normalizeText(value);
  if (text === MISSING || text.startsWith("#")) return text;
  const at = text.lastIndexOf("@");
  if (at <= 0 || at === text.length - 1 || text.includes(" ")) return MISSING;
  let local = text.slice(0, at);
  let domain = text.slice(at + 1).replace(/\.$/, "");
  const plus = local.indexOf("+");
  if (plus === 0) return MISSING;
  if (plus > 0) local = local.slice(0, plus);
  const alias = DOTLESS_DOMAINS.get(domain);
  if (alias !== undefined) { domain = alias; local = local.replaceAll(".", ""); }
  return local === "" ? MISSING : `${local}@${domain}`;
}

/** Digits only (`+1 (555) 010-0100` → `15550100100`); fewer than 5 digits is `<missing>`. */
export function normalizePhone(value: unknown): string {
  if (typeof value !== "string" && typeof value !== "number") return MISSING;
  const digits = String(value).normalize("NFKC").replace(/\D/g, "");
  return digits.length < 5 ? MISSING : boundPart(digits);
}

/**
 * One key from several dimensions (`[ip, route]`): parts are escaped so that no choice of
 * values can make two different tuples produce the same key.
 */
export function compoundKey(parts: readonly string[]): string {
  let key = "";
  for (let i = 0; i < parts.length; i++) key += (i === 0 ? "" : "|") + keyPart(parts[i]!);
  return key;
}

/** One part of a compound key, escaped (a key of one part is the part itself, escaped the same way). */
export function keyPart(part: string): string {
  return /[|%]/.test(part) ? part.replace(/%/g, "%25").replace(/\|/g, "%7C") : part;
}
