/** The audit trail of Controls: who added or removed which block, when, and why. */
import type { BlockKind, BlockSource } from "../engine/index.ts";

/** One change to the blocks, as a store records it (newest first when read back). */
export interface ControlsAuditEntry {
  /** Epoch ms of the change, by the clock of the instance that made it. */
  readonly time: number;
  readonly action: "add" | "remove";
  readonly kind: BlockKind;
  /** The normalized value (`AS64500`, `203.0.113.0/24`). */
  readonly value: string;
  /** Who made the change: the admin token's operator, `penalty:<limit>`, a playbook. */
  readonly author: string;
  /** The block's reason (for a removal, the reason the removed block had). */
  readonly reason: string;
  readonly source: BlockSource;
  /** Lifetime given when added; null for a permanent block and for removals. */
  readonly ttlMs: number | null;
}

/** A store that keeps the audit trail readable (the memory store keeps none: the log is its trail). */
export interface ControlsAudit {
  /** The most recent entries, newest first, at most `count`. */
  readAudit(count?: number): Promise<readonly ControlsAuditEntry[]>;
}
