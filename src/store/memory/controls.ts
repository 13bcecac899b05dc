/** CONTRACT STUB (owner: gate helper) — Controls held in this process's memory. */
import type { Controls } from "../../engine/index.ts";

export function createMemoryControls(options?: { now?: () => number; maxEntries?: number }): Controls {
  void options;
  throw new Error("contract stub");
}
