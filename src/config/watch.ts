/**
 * Notices when the config file (or a TLS file it names) changes and reloads it, debounced.
 * Folders are watched rather than files: editors and deploy tools replace a file atomically
 * (write a temporary file, rename it over the old one), which ends a watch on the file itself.
 */
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { loadConfigFile, type LoadOptions, type LoadResult } from "./load.ts";

export interface ConfigWatcher {
  /** Reloads now (SIGHUP calls this). */
  trigger(): void;
  close(): void;
}

/** Quiet time after the last change before reloading: one save often makes several events. */
export const RELOAD_DEBOUNCE_MS = 100;

/**
 * Watches a config file (and the TLS files it names) and calls `onLoad` with the new load
 * result after each change, debounced; the caller keeps the old config when `ok` is false.
 * `watchAlso` is asked again after every load, so files named by a new config are followed.
 * Watchers never keep the process alive, and nothing runs after `close()`.
 */
export function watchConfigFile(
  file: string,
  onLoad: (result: LoadResult) => void,
  watchAlso?: () => readonly string[],
  options?: LoadOptions,
): ConfigWatcher {
  const configFile = resolve(file);
  /** Folder → names watched in it. */
  const watchers = new Map<string, { watcher: FSWatcher; names: Set<string> }>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const reload = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (closed) return;
    const result = loadConfigFile(configFile, options);
    try {
      onLoad(result);
    } finally {
      // After onLoad, so `watchAlso` can name the files of the config just taken.
      if (!closed) follow();
    }
  };

  const schedule = (): void => {
    if (closed) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(reload, RELOAD_DEBOUNCE_MS);
    timer.unref();
  };

  /** Brings the watched folders in line with the config file plus what `watchAlso` names now. */
  const follow = (): void => {
    const wanted = new Map<string, Set<string>>();
    for (const path of [configFile, ...(watchAlso?.() ?? [])]) {
      const absolute = resolve(path);
      const names = wanted.get(dirname(absolute)) ?? new Set<string>();
      names.add(basename(absolute));
      wanted.set(dirname(absolute), names);
    }
    for (const [dir, entry] of watchers) {
      if (!wanted.has(dir)) {
        entry.watcher.close();
        watchers.delete(dir);
      }
    }
    for (const [dir, names] of wanted) {
      const existing = watchers.get(dir);
      if (existing !== undefined) {
        existing.names.clear();
        for (const name of names) existing.names.add(name);
        continue;
      }
      const watcher = openWatcher(dir, names, schedule, () => {
        if (watchers.get(dir)?.watcher === watcher) watchers.delete(dir);
      });
      if (watcher !== undefined) watchers.set(dir, { watcher, names });
    }
  };

  follow();
  return {
    trigger: reload,
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      for (const { watcher } of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}

function openWatcher(dir: string, names: ReadonlySet<string>, onChange: () => void, onEnd: () => void): FSWatcher | undefined {
  let watcher: FSWatcher;
  try {
    watcher = watch(dir, { persistent: false }, (_event, filename) => {
      // Some platforms give no name: then any change in the folder may be ours.
      if (filename === null || names.has(filename.toString())) onChange();
    });
  } catch {
    // A folder that does not exist (yet) cannot be watched; SIGHUP still reloads.
    return undefined;
  }
  // A folder removed under us ends its watch; the next reload (SIGHUP) sets it up again.
  watcher.on("error", () => {
    watcher.close();
    onEnd();
  });
  return watcher;
}
