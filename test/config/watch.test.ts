import assert from "node:assert/strict";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { LoadResult } from "../../src/config/load.ts";
import { watchConfigFile } from "../../src/config/watch.ts";
import { MINIMAL } from "../helpers/config-fixtures.ts";

/** Collects load results; `next()` waits (bounded) for the next one. */
function recorder() {
  const results: LoadResult[] = [];
  const waiters: ((result: LoadResult) => void)[] = [];
  return {
    results,
    onLoad(result: LoadResult) {
      results.push(result);
      waiters.shift()?.(result);
    },
    next(timeoutMs = 3_000): Promise<LoadResult> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no reload within ${timeoutMs} ms`)), timeoutMs);
        waiters.push((result) => {
          clearTimeout(timer);
          resolve(result);
        });
      });
    },
  };
}

function withDir(run: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), "rampart-watch-"));
    try {
      await run(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test("editing the file reloads it; a broken edit yields ok: false; an atomic replace is seen", withDir(async (dir) => {
  const file = join(dir, "rampart.yaml");
  writeFileSync(file, MINIMAL);
  const seen = recorder();
  const watcher = watchConfigFile(file, seen.onLoad, undefined, { env: {} });
  try {
    let next = seen.next();
    writeFileSync(file, MINIMAL.replace("port: 8080", "port: 8081"));
    let result = await next;
    assert.ok(result.ok);
    assert.equal(result.config.listeners[0]?.port, 8081);

    next = seen.next();
    writeFileSync(file, MINIMAL.replace("[GET]", "[FETCH]"));
    result = await next;
    assert.ok(!result.ok);
    assert.equal(result.issues[0]?.path, "routes[0].methods[0]");

    // Editors write a temporary file and rename it over the old one.
    next = seen.next();
    writeFileSync(join(dir, "rampart.yaml.tmp"), MINIMAL.replace("port: 8080", "port: 8082"));
    renameSync(join(dir, "rampart.yaml.tmp"), file);
    result = await next;
    assert.ok(result.ok);
    assert.equal(result.config.listeners[0]?.port, 8082);
  } finally {
    watcher.close();
  }
}));

test("several quick writes make one reload (debounced)", withDir(async (dir) => {
  const file = join(dir, "rampart.yaml");
  writeFileSync(file, MINIMAL);
  const seen = recorder();
  const watcher = watchConfigFile(file, seen.onLoad, undefined, { env: {} });
  try {
    const next = seen.next();
    for (let port = 9001; port <= 9005; port++) writeFileSync(file, MINIMAL.replace("port: 8080", `port: ${port}`));
    const result = await next;
    assert.ok(result.ok && result.config.listeners[0]?.port === 9005);
    await sleep(300);
    assert.equal(seen.results.length, 1);
  } finally {
    watcher.close();
  }
}));

test("files from watchAlso (TLS certificates) trigger a reload; other files in the folder do not", withDir(async (dir) => {
  const file = join(dir, "rampart.yaml");
  const cert = join(dir, "cert.pem");
  writeFileSync(file, MINIMAL);
  writeFileSync(cert, "one");
  const seen = recorder();
  const watcher = watchConfigFile(file, seen.onLoad, () => [cert], { env: {} });
  try {
    writeFileSync(join(dir, "unrelated.txt"), "x");
    await sleep(300);
    assert.equal(seen.results.length, 0);
    const next = seen.next();
    writeFileSync(cert, "two");
    assert.ok((await next).ok);
  } finally {
    watcher.close();
  }
}));

test("trigger() reloads at once; nothing is delivered after close()", withDir(async (dir) => {
  const file = join(dir, "rampart.yaml");
  writeFileSync(file, MINIMAL);
  const seen = recorder();
  const watcher = watchConfigFile(file, seen.onLoad, undefined, { env: {} });
  watcher.trigger();
  assert.equal(seen.results.length, 1);
  assert.ok(seen.results[0]?.ok);
  writeFileSync(file, MINIMAL.replace("port: 8080", "port: 8081"));
  watcher.close();
  await sleep(300);
  assert.equal(seen.results.length, 1);
  watcher.trigger();
  assert.equal(seen.results.length, 1);
}));
