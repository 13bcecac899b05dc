/**
 * The client address behind trusted proxies, and the X-Forwarded-For chain to send upstream.
 * Every hop of X-Forwarded-For can be written by whoever sent the request, so the header is
 * only ever read through proxies the operator declared trusted, and only from the right.
 */
import type { CidrSet } from "../net/cidr.ts";
import { canonicalIp } from "../net/ip.ts";

/**
 * The client address: the TCP peer, unless the peer is a trusted proxy, in which case
 * `X-Forwarded-For` is walked from the right, skipping trusted proxies, and the first
 * untrusted address is the client. A malformed entry stops the walk: the hop to its right
 * (the trusted proxy that appended it) is the client. When every hop is trusted, the leftmost
 * is. Addresses come back in canonical form (IPv4-mapped IPv6 unwrapped). Never throws.
 */
export function deriveClientIp(peerIp: string, forwardedFor: string | string[] | undefined, trusted: CidrSet | undefined): string {
  const peer = normalizeIp(peerIp);
  // Without a trusted proxy in front, the header is whatever the client chose to send:
  // believing it would let any client pick its own address (and escape every limit and block).
  if (trusted === undefined || forwardedFor === undefined || !trusted.has(peer)) return peer;
  const instances = typeof forwardedFor === "string" ? [forwardedFor] : forwardedFor;
  // `lastGood` is the nearest hop already accepted: the proxy that appended the next entry left.
  let lastGood = peer;
  // Several header instances are one list in order (RFC 9110 §5.3): the last instance is the rightmost.
  for (let h = instances.length - 1; h >= 0; h--) {
    const value = instances[h] ?? "";
    let end = value.length;
    while (end > 0) {
      const comma = value.lastIndexOf(",", end - 1);
      const entry = value.slice(comma + 1, end).trim();
      end = comma === -1 ? 0 : comma;
      // Empty list elements are allowed by the list syntax (RFC 9110 §5.6.1); they carry nothing.
      if (entry === "") continue;
      const address = canonicalIp(entry);
      // Garbage (a port, a name, `unknown`) means the hop that wrote it cannot be read further:
      // nothing left of it can be believed, so the proxy that appended it is the client.
      if (address === undefined) return lastGood;
      // The first address no trusted proxy vouches for is the one that connected to our proxies.
      if (!trusted.has(address)) return address;
      lastGood = address;
    }
  }
  // Every hop was one of our own proxies: the leftmost is the closest we know to the client.
  return lastGood;
}

/**
 * The X-Forwarded-For value the gateway sends upstream. A trusted peer's chain is kept and
 * the peer appended; an untrusted peer's header is dropped and replaced by the peer alone, so
 * the upstream never receives hops invented by a client.
 */
export function forwardedForChain(peerIp: string, forwardedFor: string | string[] | undefined, trusted: CidrSet | undefined): string {
  const peer = normalizeIp(peerIp);
  if (trusted === undefined || forwardedFor === undefined || !trusted.has(peer)) return peer;
  const received = (typeof forwardedFor === "string" ? [forwardedFor] : forwardedFor)
    .map((value) => value.trim())
    .filter((value) => value !== "")
    .join(", ");
  return received === "" ? peer : `${received}, ${peer}`;
}

/**
 * Canonical text of an address: `::ffff:1.2.3.4` unwrapped to `1.2.3.4`, IPv6 lower-case and
 * compressed (RFC 5952), so one client has one key. Text that is no address is returned unchanged.
 */
export function normalizeIp(ip: string): string {
  return canonicalIp(ip) ?? ip;
}
