import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { createLineWriter } from "../../src/monitor/line-writer.ts";

const folder = mkdtempSync(join(tmpdir(), "rampart-lines-"));
after(() => rmSync(folder, { recursive: true, force: true }));

let files = 0;
function freshFile(): { path: string; fd: number } {
  const path = join(folder, `log-${files++}.jsonl`);
  return { path, fd: openSync(path, "a") };
}

describe("line writer", () => {
  it("writes every line, in order, whatever their sizes and however they straddle its chunks", async () => {
    // Lines from a few bytes to past one chunk (64 KiB), with multi-byte characters.
    const line = fc.oneof(
      { weight: 8, arbitrary: fc.string({ unit: "grapheme", maxLength: 300 }) },
      { weight: 1, arbitrary: fc.integer({ min: 60_000, max: 140_000 }).map((n) => "é".repeat(n)) },
    ).map((text) => `${text.replaceAll("\n", " ")}\n`);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(line, { maxLength: 40 }), { minLength: 1, maxLength: 6 }), async (turns) => {
        const { path, fd } = freshFile();
        const writer = createLineWriter(fd);
        // Several turns of the event loop, so that writes overlap with lines arriving.
        for (const lines of turns) {
          for (const text of lines) writer.write(text);
          await new Promise((resolve) => setImmediate(resolve));
        }
        await writer.flush();
        closeSync(fd);
        assert.equal(readFileSync(path, "utf8"), turns.flat().join(""));
        assert.equal(writer.dropped, 0);
      }),
      { numRuns: 25 },
    );
  });

  it("writes a line within a second without being asked to flush (tail -f works)", async () => {
    const { path, fd } = freshFile();
    const writer = createLineWriter(fd);
    writer.write('{"msg":"one"}\n');
    const deadline = Date.now() + 1_000;
    while (readFileSync(path, "utf8") === "" && Date.now() < deadline) await sleep(5);
    assert.equal(readFileSync(path, "utf8"), '{"msg":"one"}\n');
    closeSync(fd);
  });

  it("stops on a broken destination, counts what it could not write and never hangs a flush", async () => {
    const path = join(folder, "read-only.jsonl");
    writeFileSync(path, "");
    // A descriptor opened for reading: every write fails with EBADF.
    const fd = openSync(path, "r");
    const writer = createLineWriter(fd);
    for (let i = 0; i < 10; i++) writer.write(`{"n":${i}}\n`);
    await writer.flush();
    assert.equal(writer.dropped, 10);
    writer.write('{"n":10}\n');
    await writer.flush();
    assert.equal(writer.dropped, 11);
    assert.equal(readFileSync(path, "utf8"), "");
    closeSync(fd);
  });
});
