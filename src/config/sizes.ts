/** Sizes as written in rampart.yaml (`16384`, `16kb`, `16KiB`, `1mb`, `1.5gb`) parsed to bytes. */

// kb and KiB both mean 1024 bytes: limits are about buffers, where nobody means 1000.
const UNIT_BYTES: Readonly<Record<string, number>> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
const SIZE = /^([0-9]+(?:\.[0-9]+)?)\s*(?:([kmg])i?b|(b))?$/i;

/** Parses a size to whole bytes (rounded down), or undefined when it is not a size. */
export function parseSize(value: number | string): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const match = SIZE.exec(value.trim());
  if (match === null) return undefined;
  const unit = (match[2] ?? match[3] ?? "").toLowerCase();
  const bytes = Math.floor(Number(match[1]) * (UNIT_BYTES[unit === "b" ? "b" : unit] as number));
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}
