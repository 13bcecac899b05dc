/**
 * Byte estimates of what one memory limit entry occupies on the V8 heap, so the store can be
 * bounded in bytes rather than in keys. Deliberately on the high side (64-bit V8, no pointer
 * compression, as Node ships): the bound must hold, a few idle bytes are cheap. The rotation
 * test in test/store/limit-memory-bound.test.ts measures the real figure against it.
 */

import type { LimitState } from "../../limits/algorithm.ts";
import type { LimitKind } from "../../limits/types.ts";

/**
 * A Map slot (key, value, chain link, bucket share, growth slack), the entry object, and its
 * expiry-heap slots (two arrays, with room for stale slots).
 */
export const ENTRY_BYTES = 208;
/** Heap size of a small state object holding a few numbers (boxed doubles included). */
const SMALL_STATE_BYTES = 96;
/** An array: header, backing store header. */
const ARRAY_BYTES = 48;
/** One element of a number array (a boxed double in the worst case) . */
const NUMBER_BYTES = 24;

/** Bytes of a string used as a key: header plus two bytes per character (worst case). */
export function stringBytes(value: string): number {
  return 24 + 2 * value.length;
}

/** Bytes of a state of a given kind. */
export function stateBytes(kind: LimitKind, state: LimitState): number {
  switch (kind) {
    case "fixed_window":
    case "token_bucket":
    case "gcra":
    case "calendar":
      return SMALL_STATE_BYTES;
    case "sliding_window": {
      const s = state as { counts: readonly number[] };
      return SMALL_STATE_BYTES + ARRAY_BYTES + NUMBER_BYTES * s.counts.length;
    }
    case "sliding_log":
    case "holds": {
      const s = state as { expires?: readonly number[]; times?: readonly number[] };
      const n = (s.times ?? s.expires ?? []).length;
      return SMALL_STATE_BYTES + 2 * ARRAY_BYTES + 2 * NUMBER_BYTES * n;
    }
    case "concurrency": {
      const s = state as { ids: readonly string[] };
      let ids = 0;
      for (const id of s.ids) ids += stringBytes(id) + 8;
      return SMALL_STATE_BYTES + 3 * ARRAY_BYTES + 2 * NUMBER_BYTES * s.ids.length + ids;
    }
  }
}
