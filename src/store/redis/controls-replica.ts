/**
 * The local copy of the shared blocks that answers every lookup: a memory Controls, replaced
 * whole by each full load, kept in step by change messages, and buffering the messages that
 * arrive while a load is in flight so none is lost between the snapshot and the swap.
 */
import type { Block, Controls } from "../../engine/index.ts";
import type { Logger } from "pino";
import { createMemoryControls } from "../memory/controls.ts";
import type { ControlsMessage } from "./controls-codec.ts";

export interface Replica {
  /** The copy that answers lookups now. */
  current(): Controls;
  apply(message: ControlsMessage): void;
  buffering(): boolean;
  startBuffering(): void;
  stopBuffering(): void;
  /** Keeps a change for the next install; `delivered` when it came through the channel. */
  buffer(message: ControlsMessage, delivered: boolean): void;
  /**
   * Swaps in a copy made of a snapshot at sequence `seq`, replays the buffered changes made
   * after it in order, and returns the last sequence number the channel has delivered.
   */
  install(blocks: readonly Block[], seq: number): number;
}

export function createReplica(clock: () => number, maxEntries: number, logger: Pick<Logger, "warn"> | undefined): Replica {
  // The memory store stamps createdAt with its clock; while a stored block is put in, that
  // clock reads the block's own createdAt, so the copy has the exact createdAt and expiresAt.
  // This relies on memory addBlock reading the clock before its first await (it has none).
  let installAt: number | undefined;
  const fresh = (): Controls => createMemoryControls({ now: () => installAt ?? clock(), maxEntries });
  let copy = fresh();
  let pending: Array<{ message: ControlsMessage; delivered: boolean }> | undefined;

  function put(target: Controls, block: Block): void {
    installAt = block.createdAt;
    try {
      target
        .addBlock({
          kind: block.kind, value: block.value, reason: block.reason, author: block.author, source: block.source,
          ...(block.expiresAt === undefined ? {} : { ttlMs: block.expiresAt - block.createdAt }),
        })
        .catch((error: unknown) => logger?.warn({ event: "controls.bad_record", kind: block.kind, value: block.value, err: String(error) }, "skipped a shared block this instance cannot apply"));
    } finally {
      installAt = undefined;
    }
  }

  function applyTo(target: Controls, message: ControlsMessage): void {
    if (message.op === "add") {
      for (const ref of message.evicted) void target.removeBlock(ref.kind, ref.value, "eviction");
      put(target, message.block);
    } else {
      void target.removeBlock(message.kind, message.value, "replica");
    }
  }

  return {
    current: () => copy,
    apply: (message) => applyTo(copy, message),
    buffering: () => pending !== undefined,
    startBuffering: () => void (pending = []),
    stopBuffering: () => void (pending = undefined),
    buffer: (message, delivered) => void pending?.push({ message, delivered }),
    install(blocks, seq) {
      const next = fresh();
      // Oldest first, so the copy's eviction order (insertion order) is the age order Redis uses.
      for (const block of [...blocks].sort((a, b) => a.createdAt - b.createdAt)) put(next, block);
      let delivered = seq;
      const later = (pending ?? []).filter((entry) => entry.message.seq > seq).sort((a, b) => a.message.seq - b.message.seq);
      for (const entry of later) {
        applyTo(next, entry.message);
        // This instance's own changes do not count as delivered: earlier messages may still be on their way.
        if (entry.delivered) delivered = Math.max(delivered, entry.message.seq);
      }
      pending = undefined;
      copy = next;
      return delivered;
    },
  };
}
