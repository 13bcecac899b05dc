/** CONTRACT STUB (owner: config helper) — notices when the config file changes. */
import type { LoadResult } from "./load.ts";

export interface ConfigWatcher {
  /** Reloads now (SIGHUP calls this). */
  trigger(): void;
  close(): void;
}

/**
 * Watches a config file (and the TLS files it names) and calls `onLoad` with the new load
 * result after each change, debounced; the caller keeps the old config when `ok` is false.
 */
export function watchConfigFile(file: string, onLoad: (result: LoadResult) => void, watchAlso?: () => readonly string[]): ConfigWatcher {
  void file; void onLoad; void watchAlso;
  throw new Error("contract stub");
}
