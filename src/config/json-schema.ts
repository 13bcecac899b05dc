/** The JSON Schema of rampart.yaml that `rampart schema` prints, for editors and other validators. */
import { RampartSchema } from "./schema.ts";

const DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema";

/** `${NAME}`: substituted at load time, so the file itself may hold it where a number or boolean goes. */
const ENV_REFERENCE = { type: "string", pattern: "^\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}$" };
const ANNOTATIONS = ["title", "description", "default"];

/**
 * The schema as plain JSON (draft 2020-12), describing the file as written: numbers and
 * booleans may also be a `${NAME}` reference (`port: ${PORT}`). Our `x-` annotations (error
 * wording, secrets) are left out: they mean nothing to editors, and strict validators refuse
 * unknown keywords.
 */
export function jsonSchema(): Record<string, unknown> {
  const plain = asWritten(JSON.parse(JSON.stringify(RampartSchema)) as unknown) as Record<string, unknown>;
  return { $schema: DRAFT_2020_12, ...plain };
}

const NAME_MAPS = new Set(["properties", "patternProperties", "$defs"]);
const TYPED_SCALARS = new Set(["integer", "number", "boolean"]);

/** Drops `x-` keywords and lets typed scalars be `${NAME}`; keys inside `properties` are user key names and stay. */
function asWritten(value: unknown, keysAreNames = false): unknown {
  if (Array.isArray(value)) return value.map((item) => asWritten(item));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (!keysAreNames && key.startsWith("x-")) continue;
    out[key] = asWritten(child, !keysAreNames && NAME_MAPS.has(key));
  }
  if (keysAreNames || !TYPED_SCALARS.has(out["type"] as string)) return out;
  // Annotations stay on the outside, where editors look for them.
  const outer: Record<string, unknown> = {};
  for (const key of ANNOTATIONS) {
    if (key in out) {
      outer[key] = out[key];
      delete out[key];
    }
  }
  return { ...outer, anyOf: [out, ENV_REFERENCE] };
}
