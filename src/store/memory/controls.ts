/** Controls held in this process's memory: blocks by ip, prefix, asn, country and key, with TTLs and a size bound. */
import type { Block, BlockKind, BlockQuery, Controls, NewBlock } from "../../engine/index.ts";
import { canonicalCidr, parseCidrSet, type CidrSet } from "../../net/cidr.ts";
import { canonicalIp } from "../../net/ip.ts";

/** A block value that cannot be normalized for its kind, or a TTL that is not a positive number. */
export class InvalidBlockError extends Error {
  override readonly name = "InvalidBlockError";
  readonly kind: BlockKind;
  readonly value: string;
  constructor(kind: BlockKind, value: string, message: string) {
    super(message);
    this.kind = kind;
    this.value = value;
  }
}

export interface MemoryControlsOptions {
  /** Clock for `createdAt` and `expiresAt` (ms since the epoch). */
  readonly now?: () => number;
  /** Most blocks kept; past it, expired blocks go first, then the oldest. */
  readonly maxEntries?: number;
}

const DEFAULT_MAX_ENTRIES = 100_000;

/**
 * The normalized value of a block, so that one address, network, AS or country has one key
 * whatever its spelling: addresses canonical (IPv4-mapped unwrapped, IPv6 RFC 5952), prefixes
 * with host bits cleared, `123` / `as123` → `AS123`, countries upper-case. Undefined when the
 * value is not valid for the kind.
 */
export function normalizeBlockValue(kind: BlockKind, value: string): string | undefined {
  const text = value.trim();
  switch (kind) {
    case "ip":
      return canonicalIp(text);
    case "prefix":
      return canonicalCidr(text);
    case "asn": {
      const match = /^(?:as)?(\d{1,10})$/i.exec(text);
      const asn = match ? Number(match[1]) : NaN;
      return Number.isInteger(asn) && asn <= 0xffffffff ? `AS${asn}` : undefined;
    }
    case "country":
      return /^[a-z]{2}$/i.test(text) ? text.toUpperCase() : undefined;
    case "key":
      return text === "" ? undefined : text;
  }
}

/** Whether a block still applies at `now`: it expires at `expiresAt` exactly. */
function isActive(block: Block, now: number): boolean {
  return block.expiresAt === undefined || now < block.expiresAt;
}

/**
 * Controls for one process. Lookups are synchronous map reads; prefix blocks are compiled into
 * one CidrSet when they change, never per request. With no block at all, `findBlock` is one
 * comparison, which is what almost every request meets.
 */
export function createMemoryControls(options: MemoryControlsOptions = {}): Controls {
  const clock = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);

  // Insertion order is age order: the first entry is the oldest (a replaced block moves to the end).
  const all = new Map<string, Block>();
  const byIp = new Map<string, Block>();
  const byAsn = new Map<number, Block>();
  const byCountry = new Map<string, Block>();
  const byKey = new Map<string, Block>();
  const prefixes = new Map<string, Block>();
  let prefixSet: CidrSet | undefined;
  // Prefix lengths in use per family, to name the matching block with a few map lookups.
  let v4Lengths: number[] = [];
  let v6Lengths: number[] = [];

  const indexOf = (kind: BlockKind): Map<string, Block> | undefined =>
    kind === "ip" ? byIp : kind === "country" ? byCountry : kind === "key" ? byKey : undefined;

  function rebuildPrefixes(): void {
    const values = [...prefixes.keys()];
    prefixSet = values.length === 0 ? undefined : parseCidrSet(values);
    const lengths = (v6: boolean) => [...new Set(values.filter((v) => v.includes(":") === v6).map((v) => Number(v.slice(v.indexOf("/") + 1))))];
    v4Lengths = lengths(false);
    v6Lengths = lengths(true);
  }

  function unindex(block: Block): boolean {
    all.delete(`${block.kind}\u0000${block.value}`);
    if (block.kind === "asn") byAsn.delete(Number(block.value.slice(2)));
    else if (block.kind === "prefix") return prefixes.delete(block.value);
    else indexOf(block.kind)?.delete(block.value);
    return false;
  }

  // No block expires before this moment, so a full store can skip the scan for expired ones.
  let earliestExpiry = Infinity;

  /** Drops every expired block; returns whether prefix blocks changed. */
  function pruneExpired(now: number): boolean {
    let prefixChanged = false;
    earliestExpiry = Infinity;
    for (const block of [...all.values()]) {
      if (!isActive(block, now)) prefixChanged = unindex(block) || prefixChanged;
      else if (block.expiresAt !== undefined && block.expiresAt < earliestExpiry) earliestExpiry = block.expiresAt;
    }
    return prefixChanged;
  }

  /** Makes room for one more block: expired blocks first, then the oldest. Returns whether prefix blocks changed. */
  function makeRoom(now: number): boolean {
    if (all.size < maxEntries) return false;
    let prefixChanged = now >= earliestExpiry ? pruneExpired(now) : false;
    for (const block of all.values()) {
      if (all.size < maxEntries) break;
      prefixChanged = unindex(block) || prefixChanged;
    }
    return prefixChanged;
  }

  function findPrefix(ip: string, now: number): Block | undefined {
    if (prefixSet === undefined || !prefixSet.has(ip)) return undefined;
    // Rare path (a blocked request): name the block by its canonical network at each length in use.
    const v6 = ip.includes(":");
    for (const length of v6 ? v6Lengths : v4Lengths) {
      const block = prefixes.get(canonicalCidr(`${ip}/${length}`) ?? "");
      if (block !== undefined && isActive(block, now)) return block;
    }
    // An IPv6 block wide enough to hold all of ::ffff:0:0/96 (e.g. `::/0`) holds IPv4 too.
    if (!v6) {
      for (const length of v6Lengths) {
        const block = length < 96 ? prefixes.get(canonicalCidr(`::ffff:${ip}/${length}`) ?? "") : undefined;
        if (block !== undefined && isActive(block, now)) return block;
      }
    }
    // Only expired blocks matched: drop them now so the next request takes the fast path again.
    if (pruneExpired(now)) rebuildPrefixes();
    return undefined;
  }

  const active = (block: Block | undefined, now: number): Block | undefined =>
    block !== undefined && isActive(block, now) ? block : undefined;

  return {
    findBlock(query: BlockQuery, now: number): Block | undefined {
      if (all.size === 0) return undefined;
      // Facts carry canonical addresses already; re-normalizing costs nothing for plain IPv4.
      const ip = byIp.size === 0 && prefixSet === undefined ? query.ip : (canonicalIp(query.ip) ?? query.ip);
      return (
        active(byIp.get(ip), now) ??
        findPrefix(ip, now) ??
        (query.asn === undefined ? undefined : active(byAsn.get(query.asn), now)) ??
        (query.country === undefined ? undefined : active(byCountry.get(query.country.toUpperCase()), now)) ??
        (query.keyId === undefined ? undefined : active(byKey.get(query.keyId), now))
      );
    },

    async addBlock(input: NewBlock): Promise<Block> {
      const now = clock();
      const block = prepareBlock(input, now);
      const value = block.value;
      const id = `${block.kind}\u0000${value}`;
      const previous = all.get(id);
      let prefixChanged = previous === undefined ? makeRoom(now) : unindex(previous);
      all.set(id, block);
      if (block.expiresAt !== undefined && block.expiresAt < earliestExpiry) earliestExpiry = block.expiresAt;
      if (block.kind === "asn") byAsn.set(Number(value.slice(2)), block);
      else if (block.kind === "prefix") {
        prefixes.set(value, block);
        prefixChanged = true;
      } else indexOf(block.kind)?.set(value, block);
      if (prefixChanged) rebuildPrefixes();
      return block;
    },

    async removeBlock(kind: BlockKind, value: string, author: string): Promise<boolean> {
      // The memory store keeps no audit trail of its own; the caller logs who removed what.
      void author;
      const normalized = normalizeBlockValue(kind, value);
      const block = normalized === undefined ? undefined : all.get(`${kind}\u0000${normalized}`);
      if (block === undefined) return false;
      if (unindex(block)) rebuildPrefixes();
      return true;
    },

    listBlocks(now: number): readonly Block[] {
      const list: Block[] = [];
      for (const block of all.values()) if (isActive(block, now)) list.push(block);
      return list;
    },
  };
}

/**
 * Checks and normalizes a new block, as every Controls store must before storing it: the value
 * in the one spelling lookups match on, a positive TTL, frozen. Throws InvalidBlockError.
 */
export function prepareBlock(input: NewBlock, now: number): Block {
  const value = normalizeBlockValue(input.kind, input.value);
  if (value === undefined) throw new InvalidBlockError(input.kind, input.value, `"${input.value}" is not a valid ${input.kind} to block`);
  if (input.ttlMs !== undefined && !(Number.isFinite(input.ttlMs) && input.ttlMs > 0)) {
    throw new InvalidBlockError(input.kind, input.value, `ttlMs must be a positive number of milliseconds, got ${input.ttlMs}`);
  }
  return Object.freeze({
    kind: input.kind,
    value,
    reason: input.reason,
    author: input.author,
    source: input.source,
    createdAt: now,
    expiresAt: input.ttlMs === undefined ? undefined : now + input.ttlMs,
  });
}
