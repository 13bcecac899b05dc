/**
 * A rotation attack of 1,000,000 distinct IPv6 /128 keys leaves the memory LimitStore within its
 * byte bound: measured as heapUsed + arrayBuffers growth in a child process run with --expose-gc.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

const CHILD = fileURLToPath(new URL("../helpers/limits-rotation-child.ts", import.meta.url));
const MAX_BYTES = 16 * 1024 * 1024;

describe("memory LimitStore under a rotation attack", () => {
  it("stays within its configured bytes after 1,000,000 distinct IPv6 keys", async (t) => {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ["--expose-gc", CHILD, "1000000", String(MAX_BYTES)], { timeout: 25_000 }, (error, out) => {
        if (error !== null) reject(error); else resolve(out);
      });
    });
    const figures = JSON.parse(stdout) as Record<string, number>;
    t.diagnostic(`rotation: ${JSON.stringify(figures)}`);
    assert.ok(figures.keys! <= figures.maxKeys!, "never more keys than the budget allows");
    assert.ok(figures.estimatedBytes! <= MAX_BYTES, "the store's own estimate is within the bound");
    assert.ok(figures.heapGrowth! <= MAX_BYTES, `measured heap growth ${figures.heapGrowth} > ${MAX_BYTES}`);
    assert.ok(figures.bytesPerKey! <= figures.estimatePerKey!, "the per-key estimate is not below what V8 really uses");
    assert.ok(figures.keys! > MAX_BYTES / 1024, "and the budget is actually used, not wasted");
  });
});
