/** The JSON Schema of rampart.yaml that `rampart schema` prints, for editors and other validators. */
import { RampartSchema } from "./schema.ts";

const DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema";

/**
 * The schema as plain JSON (draft 2020-12). Our `x-` annotations (error wording, secrets) are
 * left out: they mean nothing to editors, and strict validators refuse unknown keywords.
 */
export function jsonSchema(): Record<string, unknown> {
  const plain = withoutExtensions(JSON.parse(JSON.stringify(RampartSchema)) as unknown) as Record<string, unknown>;
  return { $schema: DRAFT_2020_12, ...plain };
}

const NAME_MAPS = new Set(["properties", "patternProperties", "$defs"]);

/** Drops `x-` keywords; inside `properties` and the like the keys are user key names and stay. */
function withoutExtensions(value: unknown, keysAreNames = false): unknown {
  if (Array.isArray(value)) return value.map((item) => withoutExtensions(item));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (!keysAreNames && key.startsWith("x-")) continue;
    out[key] = withoutExtensions(child, !keysAreNames && NAME_MAPS.has(key));
  }
  return out;
}
