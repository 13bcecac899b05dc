/**
 * LimitStore in this process's memory: synchronous (the pipeline's fast path stays free of
 * promises), all-or-none admission, bounded in bytes with eviction of expired keys first,
 * then of the least recently used.
 */

import { admitLimit, chargeLimit, expiryOf, type LimitState } from "../../limits/algorithm.ts";
import { release } from "../../limits/concurrency.ts";
import { lower } from "../../limits/holds.ts";
import type { ConcurrencyState, HoldsState, LimitKind, LimitSpec, Step } from "../../limits/types.ts";
import { quotaOf } from "../../limits/types.ts";
import { admissionCost, settleAmount, type Admission, type ItemOutcome, type LimitItem, type LimitStore, type SettleOp } from "../limits.ts";
import { ExpiryHeap } from "./expiry-heap.ts";
import { ENTRY_BYTES, stateBytes, stringBytes } from "./limit-state-size.ts";

export interface MemoryLimitStoreOptions {
  /** Heap bytes the store may occupy (estimated per entry); default 64 MiB. */
  readonly maxBytes?: number;
}

/** The memory store: same contract as every LimitStore, answers synchronously. */
export interface MemoryLimitStore extends LimitStore {
  admit(group: string, items: readonly LimitItem[], now: number): Admission;
  settle(group: string, ops: readonly SettleOp[], now: number): undefined;
  reset(group: string, key: string): undefined;
  /** Keys held. */
  readonly size: number;
  /** Estimated bytes held; never above `maxBytes` after a call returns. */
  readonly bytes: number;
  /** Most keys the byte budget allows (all entries at their smallest). */
  readonly maxKeys: number;
}

interface Entry {
  kind: LimitKind;
  state: LimitState;
  /** From this instant the state counts for nothing: evicted first. */
  expiresAt: number;
  bytes: number;
  /** CLOCK reference bit: set on use, cleared when the eviction hand passes the entry over. */
  used: boolean;
  /** Position in the CLOCK ring; -1 once the entry is deleted. */
  slot: number;
}

/** An entry's state if it is of `kind` and still counts at `now`, and marks it used. */
function stateOf(entry: Entry | undefined, kind: LimitKind, now: number): LimitState | undefined {
  if (entry === undefined || entry.kind !== kind || entry.expiresAt <= now) return undefined;
  entry.used = true;
  return entry.state;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
/** Group and key cannot contain it in a way that collides: groups are config names. */
const SEPARATOR = "\u0000";
const NO_ITEMS: readonly ItemOutcome[] = Object.freeze([]);
/** Composed keys remembered per group (see #keyOf); the map starts over when full. */
const MAX_COMPOSED_KEYS = 1024;

class MemoryStore implements MemoryLimitStore {
  readonly #entries = new Map<string, Entry>();
  readonly #composed = new Map<string, Map<string, string>>();
  readonly #expiries = new ExpiryHeap();
  /** The CLOCK ring: one slot per key the budget allows, swept by `#hand`. */
  readonly #ring: Array<string | undefined>;
  readonly #freeSlots: number[] = [];
  #nextSlot = 0;
  #hand = 0;
  readonly #maxBytes: number;
  readonly maxKeys: number;
  #bytes = 0;
  #leaseSeq = 0;
  readonly #leasePrefix = `m${process.pid.toString(36)}.${Math.floor(Math.random() * 2 ** 32).toString(36)}.`;

  constructor(options: MemoryLimitStoreOptions) {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 64 * ENTRY_BYTES) {
      throw new RangeError(`maxBytes must be an integer of at least ${64 * ENTRY_BYTES}, got ${maxBytes}`);
    }
    this.maxKeys = Math.floor(maxBytes / (ENTRY_BYTES + stringBytes("") + stateBytes("gcra", { tat: 0 })));
    // The ring is allocated once (8 bytes a slot); the entries share what is left of the budget.
    this.#maxBytes = maxBytes - 8 * this.maxKeys;
    this.#ring = new Array<string | undefined>(this.maxKeys).fill(undefined);
  }

  get size(): number { return this.#entries.size; }
  get bytes(): number { return this.#bytes; }

  admit(group: string, items: readonly LimitItem[], now: number): Admission {
    const n = items.length;
    if (n === 0) return { allowed: true, deniedIndex: -1, retryAfterMs: 0, items: NO_ITEMS };
    const composed = this.#composedKeys(group);
    // Fresh arrays, not ones kept on the store: young objects stored into a long-lived array
    // pay the write barrier's slow path, which cost more instructions than the allocation.
    const keys = new Array<string>(n);
    // Each key's entry is looked up once, for the read and the write.
    const entries = new Array<Entry | undefined>(n);
    const steps = new Array<Step<LimitState>>(n);
    const leases = new Array<string | undefined>(n);
    let deniedIndex = -1;
    let retryAfterMs = 0;
    for (let i = 0; i < n; i++) {
      const item = items[i]!;
      const key = this.#keyOf(composed, group, item.key);
      keys[i] = key;
      entries[i] = this.#entries.get(key);
      const lease = item.spec.kind === "concurrency" && item.charge !== "later" ? this.#leasePrefix + (++this.#leaseSeq).toString(36) : "";
      leases[i] = lease === "" ? undefined : lease;
      const step = admitLimit(item.spec, this.#prior(keys, entries, steps, items, i, now), admissionCost(item.cost), now, lease);
      steps[i] = step;
      if (!step.allowed) {
        if (deniedIndex < 0) deniedIndex = i;
        if (step.retryAfterMs > retryAfterMs) retryAfterMs = step.retryAfterMs;
      }
    }
    const allowed = deniedIndex < 0;
    if (allowed) {
      for (let i = 0; i < n; i++) {
        const item = items[i]!;
        if (item.charge !== "later") this.#write(keys[i]!, entries[i], item.spec, steps[i]!.state, now);
      }
    }
    const outcomes = new Array<ItemOutcome>(n);
    for (let i = 0; i < n; i++) {
      const step = steps[i]!;
      const lease = allowed ? leases[i] : undefined;
      outcomes[i] = lease === undefined
        ? { allowed: step.allowed, limit: quotaOf(items[i]!.spec), remaining: step.remaining, resetMs: step.resetMs, retryAfterMs: step.retryAfterMs }
        : { allowed: step.allowed, limit: quotaOf(items[i]!.spec), remaining: step.remaining, resetMs: step.resetMs, retryAfterMs: step.retryAfterMs, lease };
    }
    return { allowed, deniedIndex, retryAfterMs, items: outcomes };
  }

  settle(group: string, ops: readonly SettleOp[], now: number): undefined {
    const composed = this.#composedKeys(group);
    for (const op of ops) {
      const key = this.#keyOf(composed, group, op.key);
      if (op.op === "reset") { this.#delete(key); continue; }
      const prior = this.#read(key, op.spec.kind, now);
      let next: LimitState | undefined;
      switch (op.op) {
        case "release":
          next = op.spec.kind === "concurrency" ? release(prior as ConcurrencyState | undefined, op.lease, now) : prior;
          break;
        case "lower":
          next = op.spec.kind === "holds" ? lower(prior as HoldsState | undefined, settleAmount(op.amount), now) : prior;
          break;
        case "add":
          next = chargeLimit(op.spec, prior, settleAmount(op.cost), now);
          break;
      }
      if (next !== undefined) this.#write(key, undefined, op.spec, next, now);
    }
    return undefined;
  }

  reset(group: string, key: string): undefined {
    this.#delete(group + SEPARATOR + key);
    return undefined;
  }

  async close(): Promise<void> {
    this.#entries.clear();
    this.#composed.clear();
    this.#expiries.clear();
    this.#ring.fill(undefined);
    this.#freeSlots.length = 0;
    this.#nextSlot = 0;
    this.#bytes = 0;
  }

  /** The composed keys of one group (see #keyOf), looked up once per admission. */
  #composedKeys(group: string): Map<string, string> {
    let keys = this.#composed.get(group);
    if (keys === undefined) {
      keys = new Map();
      this.#composed.set(group, keys);
    }
    return keys;
  }

  /**
   * `group + SEPARATOR + itemKey` as one flat string, the same object for a returning client:
   * a fresh concatenation would be flattened and hashed again by every lookup.
   */
  #keyOf(keys: Map<string, string>, group: string, itemKey: string): string {
    let key = keys.get(itemKey);
    if (key === undefined) {
      if (keys.size >= MAX_COMPOSED_KEYS) keys.clear();
      key = [group, SEPARATOR, itemKey].join("");
      keys.set(itemKey, key);
    }
    return key;
  }

  /** The state item `i` starts from: an earlier item's pending state for the same key, else the stored one. */
  #prior(keys: string[], entries: (Entry | undefined)[], steps: Step<LimitState>[], items: readonly LimitItem[], i: number, now: number): LimitState | undefined {
    const key = keys[i]!;
    const kind = items[i]!.spec.kind;
    for (let j = i - 1; j >= 0; j--) {
      if (keys[j] === key && items[j]!.charge !== "later") return items[j]!.spec.kind === kind ? steps[j]!.state : undefined;
    }
    return stateOf(entries[i], kind, now);
  }

  #read(key: string, kind: LimitKind, now: number): LimitState | undefined {
    return stateOf(this.#entries.get(key), kind, now);
  }

  /**
   * Stores `state` under `key` (a flat key from #keyOf). `known` is the key's entry as looked
   * up before this call, if any: it is used unless an eviction since has deleted it (or it was
   * unknown: a key added by an earlier item of the same admission is found again).
   */
  #write(key: string, known: Entry | undefined, spec: LimitSpec, state: LimitState, now: number): void {
    const expiresAt = expiryOf(spec, state);
    const entry = known !== undefined && known.slot >= 0 ? known : this.#entries.get(key);
    if (expiresAt <= now) { if (entry !== undefined) this.#delete(key); return; }
    const bytes = ENTRY_BYTES + stringBytes(key) + stateBytes(spec.kind, state);
    if (entry !== undefined) {
      this.#bytes += bytes - entry.bytes;
      entry.kind = spec.kind; entry.state = state; entry.expiresAt = expiresAt; entry.bytes = bytes; entry.used = true;
      while (this.#bytes > this.#maxBytes && this.#entries.size > 1) this.#evictOne(now, key);
      return;
    }
    while ((this.#entries.size >= this.maxKeys || this.#bytes + bytes > this.#maxBytes) && this.#entries.size > 0) this.#evictOne(now, "");
    // The composed key itself (flat, see #keyOf): a returning client's lookup then meets the
    // very string it stored and skips comparing characters.
    const slot = this.#freeSlots.pop() ?? this.#nextSlot++;
    this.#ring[slot] = key;
    this.#entries.set(key, { kind: spec.kind, state, expiresAt, bytes, used: false, slot });
    this.#expiries.push(expiresAt, key);
    this.#bytes += bytes;
  }

  #delete(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#bytes -= entry.bytes;
    this.#entries.delete(key);
    this.#ring[entry.slot] = undefined;
    this.#freeSlots.push(entry.slot);
    // Marks the entry gone for an admission that looked it up before it was evicted.
    entry.slot = -1;
    // Evicted and reset keys leave stale heap slots behind; rebuild before they pile up.
    if (this.#expiries.size > 2 * this.#entries.size + 1024) {
      this.#expiries.rebuild(Array.from(this.#entries, ([k, e]) => [k, e.expiresAt] as const));
    }
  }

  /**
   * Evicts one entry: the soonest expired if any has expired (from the expiry heap), else the
   * least recently used by CLOCK: the hand sweeps the ring, giving a used entry a second chance
   * (clearing its bit) and evicting the first unused one. CLOCK keeps the hot path to one
   * boolean write instead of reordering a list on every hit, and a rotation attack's one-hit
   * keys go before keys that are in use.
   */
  #evictOne(now: number, keep: string): void {
    while (this.#expiries.peekTime() <= now) {
      const key = this.#expiries.pop()!;
      const entry = this.#entries.get(key);
      if (entry === undefined) continue;
      if (entry.expiresAt <= now) { this.#delete(key); return; }
      // Updated since it was pushed: back in with its current expiry.
      this.#expiries.push(entry.expiresAt, key);
    }
    const ring = this.#ring;
    // Two sweeps at most: the first clears every bit it passes.
    for (let step = 0; step <= 2 * ring.length; step++) {
      const key = ring[this.#hand];
      this.#hand = this.#hand + 1 === ring.length ? 0 : this.#hand + 1;
      if (key === undefined || key === keep) continue;
      const entry = this.#entries.get(key)!;
      if (entry.used) { entry.used = false; continue; }
      this.#delete(key);
      return;
    }
  }
}

/** A memory LimitStore bounded to `maxBytes` (estimated). */
export function createMemoryLimitStore(options: MemoryLimitStoreOptions = {}): MemoryLimitStore {
  return new MemoryStore(options);
}
