import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDuration } from "../../src/config/durations.ts";
import { parseSize } from "../../src/config/sizes.ts";

test("sizes parse to bytes (kb = 1024)", () => {
  const table: [number | string, number | undefined][] = [
    [0, 0], [512, 512], ["512", 512], ["512b", 512], ["16kb", 16_384], ["16KiB", 16_384], ["16 KB", 16_384],
    ["1mb", 1_048_576], ["1MiB", 1_048_576], ["1.5mb", 1_572_864], ["2gb", 2_147_483_648], ["1.5b", 1],
    [-1, undefined], [1.5, undefined], ["", undefined], ["lots", undefined], ["16 kilobytes", undefined],
    ["kb", undefined], ["16tb", undefined], ["1e3", undefined],
  ];
  for (const [input, expected] of table) assert.equal(parseSize(input), expected, JSON.stringify(input));
});

test("durations parse to milliseconds", () => {
  const table: [string, number | undefined][] = [
    ["250ms", 250], ["10s", 10_000], ["1.5s", 1_500], ["5m", 300_000], ["1h", 3_600_000], ["7d", 604_800_000],
    ["0s", 0], ["0.5ms", 1], ["10", undefined], ["10 seconds", undefined], ["-1s", undefined], ["s", undefined], ["1w", undefined],
  ];
  for (const [input, expected] of table) assert.equal(parseDuration(input), expected, input);
});
