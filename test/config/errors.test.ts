import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ALL_CODES, codeInfo, RampartError, type RampartCode } from "../../src/errors.ts";

const root = join(import.meta.dirname, "../..");
const docs = readFileSync(join(root, "docs/errors.md"), "utf8");
const CODE = /RAMPART_(?:ERR|WARN)_[A-Z0-9_]+/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

test("every code in src/errors.ts has a section in docs/errors.md", () => {
  const headings = new Set([...docs.matchAll(/^### (RAMPART_[A-Z0-9_]+)$/gm)].map((m) => m[1]));
  for (const code of ALL_CODES) assert.ok(headings.has(code), `${code} is not documented in docs/errors.md`);
});

test("every code docs/errors.md mentions exists in src/errors.ts", () => {
  const known = new Set<string>(ALL_CODES);
  for (const [code] of docs.matchAll(CODE)) assert.ok(known.has(code), `docs/errors.md mentions ${code}, which src/errors.ts does not define`);
});

test("every code used anywhere in src/ is defined in the registry", () => {
  const known = new Set<string>(ALL_CODES);
  for (const file of sourceFiles(join(root, "src"))) {
    for (const [code] of readFileSync(file, "utf8").matchAll(CODE)) assert.ok(known.has(code), `${file} uses ${code}, which src/errors.ts does not define`);
  }
});

test("each code has a message and help text, and RampartError carries them", () => {
  for (const code of ALL_CODES) {
    const info = codeInfo(code);
    assert.equal(info.code, code);
    assert.ok(info.message.length > 10 && info.help.length > 10, code);
  }
  const code: RampartCode = "RAMPART_ERR_LISTEN";
  const error = new RampartError(code, "127.0.0.1:80 EACCES", { cause: new Error("x") });
  assert.equal(error.code, code);
  assert.equal(error.message, `${codeInfo(code).message}: 127.0.0.1:80 EACCES`);
  assert.equal(error.help, codeInfo(code).help);
  assert.ok(error instanceof Error);
});
