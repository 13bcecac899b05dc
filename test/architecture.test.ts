/**
 * Dependencies point one way: the engine and the layers know no front end, no driver and no
 * framework (DESIGN.md, Shape of the code). This walks the real import graph to keep it so.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { checkImports, describeViolations, importsOf, type Rules } from "./helpers/gate-import-graph.ts";

const ROOT = resolve(import.meta.dirname, "..");
const SRC = join(ROOT, "src");
const LAYER_FOLDERS = ["gate", "auth", "limits", "intel", "behavior", "honeypot", "validate"].map((name) => join(SRC, name)).filter((dir) => existsSync(dir));

const RULES: Rules = {
  forbiddenDirs: ["gateway", "adapters", "cli", "compose", "store/redis", "store/sqlite", "store/postgres"].map((dir) => join(SRC, dir)),
  forbiddenPackages: [
    "express", "fastify", "@fastify", "hono", "@hono", "koa", "@koa", "node:http", "node:https", "node:http2", "http", "https", "http2", "undici",
    "ioredis", "redis", "@redis", "pg", "node:sqlite", "better-sqlite3", "mysql2",
  ],
};

/** Every code file under a folder. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(ts|js|mts|mjs)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe("architecture", () => {
  it("finds the engine and the gate layer to check", () => {
    assert.ok(filesUnder(join(SRC, "engine")).length >= 5);
    assert.ok(LAYER_FOLDERS.includes(join(SRC, "gate")));
  });

  it("the engine and every layer reach no gateway, adapter, cli, compose, store driver, framework or database driver", () => {
    const entries = [join(SRC, "engine"), ...LAYER_FOLDERS].flatMap(filesUnder);
    const { reached, violations } = checkImports(entries, RULES);
    assert.ok(reached.size >= entries.length);
    assert.deepEqual(violations, [], `\n${describeViolations(violations, ROOT)}`);
  });

  it("the engine imports no layer folder", () => {
    const { reached } = checkImports(filesUnder(join(SRC, "engine")), RULES);
    const layerFiles = [...reached].filter((file) => LAYER_FOLDERS.some((dir) => file.startsWith(`${dir}/`)));
    assert.deepEqual(layerFiles, []);
  });

  describe("the checker itself (so the tests above can fail)", () => {
    it("reports a fixture that imports node:http, directly and through a relative import", () => {
      const dir = mkdtempSync(join(tmpdir(), "rampart-arch-"));
      try {
        writeFileSync(join(dir, "entry.ts"), 'import { helper } from "./helper.ts";\nexport const x = helper;\n');
        writeFileSync(join(dir, "helper.ts"), 'import type { Server } from "node:http";\nexport const helper = 1 as unknown as Server;\n');
        writeFileSync(join(dir, "lazy.ts"), 'export const load = () => import("pg");\n');
        const { violations } = checkImports([join(dir, "entry.ts"), join(dir, "lazy.ts")], RULES);
        assert.deepEqual(violations.map((v) => [v.specifier, v.why, v.chain.length]).sort(), [
          ["node:http", "imports node:http", 2],
          ["pg", "imports pg", 1],
        ]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("reports a forbidden folder and an unresolved relative import", () => {
      const dir = mkdtempSync(join(tmpdir(), "rampart-arch-"));
      try {
        const gateway = join(dir, "gateway");
        mkdirSync(gateway);
        writeFileSync(join(gateway, "index.ts"), "export const x = 1;\n");
        writeFileSync(join(dir, "entry.ts"), 'export * from "./gateway/index.ts";\nimport "./missing.ts";\n');
        const { violations } = checkImports([join(dir, "entry.ts")], { forbiddenDirs: [gateway], forbiddenPackages: [] });
        assert.deepEqual(violations.map((v) => [v.specifier, v.why]), [
          ["./gateway/index.ts", `imports ${gateway}`],
          ["./missing.ts", "unresolved relative import"],
        ]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("reads every import form, and none in comments", () => {
      const source = [
        'import a from "a";',
        'import type { B } from "b";',
        "import {\n  c,\n  d,\n} from 'c';",
        'export { e } from "e";',
        'import "f";',
        'const g = await import( "g" );',
        '// import h from "h";',
        '/* import("i") */',
        'const url = "http://example.test"; // a string with // inside',
      ].join("\n");
      assert.deepEqual(importsOf(source).sort(), ["a", "b", "c", "e", "f", "g"]);
    });
  });
});
