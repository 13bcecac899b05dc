/** CONTRACT STUB (owner: gate helper) — compiled CIDR sets. */

/** A set of addresses and CIDR blocks, compiled once, matched per request. */
export interface CidrSet {
  /** Whether the address (IPv4, IPv6, or IPv4-mapped IPv6) falls in the set. Never throws. */
  has(ip: string): boolean;
  readonly size: number;
}

/** Throws InvalidCidrError naming the bad entry (compile turns it into a ConfigIssue). */
export function parseCidrSet(entries: readonly string[]): CidrSet {
  void entries;
  throw new Error("contract stub");
}

export class InvalidCidrError extends Error {
  override readonly name = "InvalidCidrError";
  readonly index: number;
  readonly entry: string;
  constructor(index: number, entry: string) {
    super(`"${entry}" is not an IP address or CIDR block`);
    this.index = index;
    this.entry = entry;
  }
}
