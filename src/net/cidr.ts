/** Compiled CIDR sets: entries parsed once with ipaddr.js, addresses matched per request with a few integer ops. */
import ipaddr from "ipaddr.js";
import { formatV4, formatV6, parseIpWords, type IpWords } from "./ip.ts";

/** A set of addresses and CIDR blocks, compiled once, matched per request. */
export interface CidrSet {
  /** Whether the address (IPv4, IPv6, or IPv4-mapped IPv6) falls in the set. Never throws. */
  has(ip: string): boolean;
  readonly size: number;
}

/** An entry that is neither an address nor a CIDR block; `index` is its position in the list. */
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

/** One parsed entry: a network in 128-bit space (IPv4 as its IPv4-mapped form) and its prefix length. */
interface Network {
  readonly words: IpWords;
  readonly prefix: number;
}

/** IPv4 networks grouped by mask: one Set lookup per distinct prefix length. */
interface V4Group {
  readonly mask: number;
  readonly networks: Set<number>;
}

/** IPv6 networks of one prefix length, bucketed by their masked first word. */
interface V6Group {
  readonly masks: IpWords;
  readonly buckets: Map<number, IpWords[]>;
}

const MAPPED_PREFIX: IpWords = [0, 0, 0xffff, 0];

/**
 * Compiles addresses and CIDR blocks (IPv4 and IPv6) into a set. IPv4 is written only in
 * four-part decimal: ipaddr.js also reads `10.1` or `0x7f.1`, which nobody means in an
 * allow-list, and a surprise there decides who gets in. Host bits after the prefix are
 * ignored (`10.0.0.1/8` is `10.0.0.0/8`). IPv4-mapped IPv6 (`::ffff:10.0.0.0/104`) is the
 * IPv4 block; an IPv6 block that contains all of `::ffff:0:0/96` (e.g. `::/0`) contains
 * every IPv4 address too, as in proxy-addr. Throws InvalidCidrError for a bad entry.
 */
export function parseCidrSet(entries: readonly string[]): CidrSet {
  const networks = entries.map((entry, index) => {
    const network = parseEntry(entry.trim());
    if (network === undefined) throw new InvalidCidrError(index, entry);
    return network;
  });
  return compile(networks);
}

/**
 * The one text form of an address or block, as parseCidrSet reads it: host bits cleared, an
 * address alone given its full prefix (`1.2.3.4` → `1.2.3.4/32`), IPv4-mapped blocks as IPv4
 * (`::ffff:10.0.0.0/104` → `10.0.0.0/8`), IPv6 in RFC 5952 form. Undefined for a bad entry.
 */
export function canonicalCidr(entry: string): string | undefined {
  const network = parseEntry(entry.trim());
  if (network === undefined) return undefined;
  const masks = masksOf(network.prefix);
  const masked = network.words.map((word, i) => (word & (masks[i] ?? 0)) >>> 0) as IpWords;
  if (network.prefix >= 96 && masked[0] === 0 && masked[1] === 0 && masked[2] === 0xffff) {
    return `${formatV4(masked[3])}/${network.prefix - 96}`;
  }
  return `${formatV6(masked)}/${network.prefix}`;
}

function parseEntry(entry: string): Network | undefined {
  const slash = entry.indexOf("/");
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const prefixText = slash === -1 ? undefined : entry.slice(slash + 1);
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) {
    const prefix = prefixText === undefined ? 32 : Number(prefixText);
    if (prefix > 32) return undefined;
    const octets = ipaddr.IPv4.parse(address).octets;
    const value = (((octets[0] ?? 0) << 24) | ((octets[1] ?? 0) << 16) | ((octets[2] ?? 0) << 8) | (octets[3] ?? 0)) >>> 0;
    return { words: [0, 0, 0xffff, value], prefix: prefix + 96 };
  }
  // Zone ids (`fe80::1%eth0`) name an interface of one host: meaningless in a shared list.
  if (address.includes("%") || !ipaddr.IPv6.isValid(address)) return undefined;
  const prefix = prefixText === undefined ? 128 : Number(prefixText);
  if (prefix > 128) return undefined;
  const parts = ipaddr.IPv6.parse(address).parts;
  const words: IpWords = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) words[i] = (((parts[2 * i] ?? 0) << 16) | (parts[2 * i + 1] ?? 0)) >>> 0;
  return { words, prefix };
}

function compile(networks: readonly Network[]): CidrSet {
  const v4 = new Map<number, Set<number>>();
  const v6 = new Map<number, V6Group>();
  for (const network of networks) {
    const masks = masksOf(network.prefix);
    const masked = network.words.map((word, i) => (word & (masks[i] ?? 0)) >>> 0) as IpWords;
    const inMappedRange = network.prefix >= 96 && masked[0] === 0 && masked[1] === 0 && masked[2] === 0xffff;
    if (inMappedRange) {
      addV4(v4, network.prefix - 96, masked[3]);
      continue;
    }
    if (network.prefix < 96 && sameUnderMask(MAPPED_PREFIX, masked, masks)) addV4(v4, 0, 0);
    let group = v6.get(network.prefix);
    if (!group) v6.set(network.prefix, (group = { masks, buckets: new Map() }));
    const bucket = group.buckets.get(masked[0]);
    if (bucket) bucket.push(masked);
    else group.buckets.set(masked[0], [masked]);
  }
  const v4Groups: V4Group[] = [...v4].map(([prefix, set]) => ({ mask: maskOf32(prefix), networks: set }));
  const exact = v4.get(32);
  const v4Ranges = v4Groups.filter((group) => group.mask !== 0xffffffff);
  const v6Groups = [...v6.values()];
  const size = networks.length;
  const scratch: IpWords = [0, 0, 0, 0];

  function hasV4(value: number): boolean {
    if (exact !== undefined && exact.has(value)) return true;
    for (const group of v4Ranges) if (group.networks.has((value & group.mask) >>> 0)) return true;
    return false;
  }

  function hasV6(words: IpWords): boolean {
    for (const group of v6Groups) {
      const bucket = group.buckets.get((words[0] & group.masks[0]) >>> 0);
      if (bucket === undefined) continue;
      for (const network of bucket) if (sameUnderMask(network, words, group.masks)) return true;
    }
    return false;
  }

  return {
    size,
    has(ip) {
      if (typeof ip !== "string") return false;
      const kind = parseIpWords(ip, scratch);
      if (kind === 4) return hasV4(scratch[3]);
      if (kind === 6) return hasV6(scratch);
      return false;
    },
  };
}

function addV4(groups: Map<number, Set<number>>, prefix: number, value: number): void {
  const masked = (value & maskOf32(prefix)) >>> 0;
  let set = groups.get(prefix);
  if (!set) groups.set(prefix, (set = new Set()));
  set.add(masked);
}

function sameUnderMask(a: IpWords, b: IpWords, masks: IpWords): boolean {
  return (
    ((a[1] ^ b[1]) & masks[1]) === 0 &&
    ((a[2] ^ b[2]) & masks[2]) === 0 &&
    ((a[3] ^ b[3]) & masks[3]) === 0 &&
    ((a[0] ^ b[0]) & masks[0]) === 0
  );
}

function maskOf32(prefix: number): number {
  return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffff : (0xffffffff << (32 - prefix)) >>> 0;
}

function masksOf(prefix: number): IpWords {
  return [0, 1, 2, 3].map((i) => maskOf32(Math.min(32, Math.max(0, prefix - 32 * i)))) as IpWords;
}
