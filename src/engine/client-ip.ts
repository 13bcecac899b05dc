/** CONTRACT STUB (owner: gate helper) — the client address behind trusted proxies. */
import type { CidrSet } from "../net/cidr.ts";

/**
 * The client address: the TCP peer, unless the peer is a trusted proxy, in which case
 * `X-Forwarded-For` is walked from the right, skipping trusted proxies, and the first
 * untrusted address is the client. IPv4-mapped IPv6 is unwrapped. Never throws.
 */
export function deriveClientIp(peerIp: string, forwardedFor: string | string[] | undefined, trusted: CidrSet | undefined): string {
  void peerIp; void forwardedFor; void trusted;
  throw new Error("contract stub");
}

/** Unwraps `::ffff:1.2.3.4` to `1.2.3.4`; other addresses unchanged. */
export function normalizeIp(ip: string): string {
  return ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
}
