/**
 * The public API is locked: what the built package exports is this list, no more, no less.
 * It imports the emitted JavaScript in dist/ (npm test builds first), so what ships is what
 * is tested; growing the surface means changing this list on purpose.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

const root = join(import.meta.dirname, "..");

test("the built entry point exports exactly the public API", async () => {
  assert.ok(existsSync(join(root, "dist/index.js")), "dist/index.js is missing: run `npm run build`");
  const entry = (await import(join(root, "dist/index.js"))) as Record<string, unknown>;
  assert.deepEqual(Object.keys(entry).sort(), [
    "ACTIONS", "ALLOW", "BLOCK_KINDS", "RampartError", "STAGES", "compose", "createMemoryControls",
    "createPipeline", "createRouter", "formatIssue", "isAllowed", "jsonSchema", "loadConfigFile",
    "parseConfig", "runGatewayFromFile", "startGateway", "tierOf",
  ]);
  assert.ok(existsSync(join(root, "dist/index.d.ts")), "type declarations are emitted");
});

test("the built CLI runs and answers --help", () => {
  const result = spawnSync(process.execPath, [join(root, "dist/cli/main.js"), "--help"], { encoding: "utf8", timeout: 20_000 });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /start/);
  assert.match(result.stdout, /check/);
});
