/**
 * The Controls port: the one way anything changes what the gates enforce at run time —
 * penalty box, operator blocks, playbook actions. Each entry has a TTL, a reason and an
 * author; a store shares them across instances. Lookups are synchronous (a local replica)
 * because they sit on every request's path.
 */

export type BlockKind = "ip" | "prefix" | "asn" | "country" | "key";

export const BLOCK_KINDS: readonly BlockKind[] = ["ip", "prefix", "asn", "country", "key"];

/** Who set a block: an operator, the penalty box of a limit or honeypot, or a playbook. */
export type BlockSource = "operator" | "penalty" | "playbook";

export interface Block {
  readonly kind: BlockKind;
  /** Normalized value: an address, a CIDR, `AS13335`, `DE`, a key id. */
  readonly value: string;
  readonly reason: string;
  readonly author: string;
  readonly source: BlockSource;
  readonly createdAt: number;
  /** Epoch ms after which the block no longer applies; undefined = until removed. */
  readonly expiresAt: number | undefined;
}

export type NewBlock = Omit<Block, "createdAt" | "expiresAt"> & { readonly ttlMs?: number };

/** What a request offers to match blocks against. */
export interface BlockQuery {
  readonly ip: string;
  readonly keyId?: string | undefined;
  readonly asn?: number | undefined;
  readonly country?: string | undefined;
}

export interface Controls {
  /** The first active block matching the request, if any. Synchronous: hot path. */
  findBlock(query: BlockQuery, now: number): Block | undefined;
  addBlock(block: NewBlock): Promise<Block>;
  /** Removes a block; resolves false when there was none. */
  removeBlock(kind: BlockKind, value: string, author: string): Promise<boolean>;
  listBlocks(now: number): readonly Block[];
}
