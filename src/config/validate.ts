/**
 * Schema validation of rampart.yaml with ajv, turned into messages a user can act on: every
 * error at once, each at a path, with the schema's `x-error` wording when it has one, unknown
 * keys pointed at the key itself, and the branch noise of unions collapsed into one message.
 */
import { Ajv, type ErrorObject } from "ajv";
import { RampartSchema } from "./schema.ts";
import type { KeyPath } from "./positions.ts";

/** One schema problem. `at` says whether to point at the key or at the value of `path`. */
export interface SchemaIssue {
  readonly path: KeyPath;
  readonly at: "key" | "value";
  readonly message: string;
  /** The path whose subtree this problem makes unreliable (checks below it are skipped). */
  readonly scope: KeyPath;
}

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
// Our annotations: the message for a value outside a set, and "never print this value".
ajv.addKeyword({ keyword: "x-error", schemaType: "string" });
ajv.addKeyword({ keyword: "x-secret", schemaType: "boolean" });
const validateOptions = ajv.compile(RampartSchema);

/** Validates parsed options; an empty list means they match the schema. */
export function validateSchema(data: unknown): SchemaIssue[] {
  if (validateOptions(data)) return [];
  const errors = validateOptions.errors ?? [];
  const unions = errors.filter((error) => error.keyword === "anyOf" || error.keyword === "oneOf");
  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    // Errors inside a union's branches are replaced by one message about the union.
    if (unions.some((union) => union !== error && error.schemaPath.startsWith(`${union.schemaPath}/`))) continue;
    const issue = describe(error, data);
    if (issue === undefined) continue;
    const key = `${issue.path.join("\0")}\u0001${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

function describe(error: ErrorObject, root: unknown): SchemaIssue | undefined {
  const path = toKeyPath(error.instancePath, root);
  const parent = (error.parentSchema ?? {}) as Record<string, unknown>;
  const shown = parent["x-secret"] === true ? "the value" : show(error.data);
  const custom = typeof parent["x-error"] === "string" ? `${shown} ${parent["x-error"]}` : undefined;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required": {
      const missing = String(params["missingProperty"]);
      return { path, at: "value", message: `missing required key "${missing}"`, scope: [...path, missing] };
    }
    case "additionalProperties": {
      const extra = String(params["additionalProperty"]);
      const where = [...path, extra];
      if (parent["patternProperties"] !== undefined) {
        return { path: where, at: "key", message: `"${extra}" is not a valid name (letters, digits, _ . -)`, scope: where };
      }
      const known = Object.keys((parent["properties"] ?? {}) as object);
      const near = closest(extra, known);
      const hint = near === undefined ? "" : ` (did you mean "${near}"?)`;
      return { path: where, at: "key", message: `unknown key "${extra}"${hint}`, scope: where };
    }
    case "anyOf":
    case "oneOf":
      return { path, at: "value", message: custom ?? unionMessage(shown, parent), scope: path };
    case "type":
      return { path, at: "value", message: custom ?? `must be ${typeName(String(params["type"]))} (got ${shown})`, scope: path };
    case "enum":
      return { path, at: "value", message: custom ?? `${shown} is not one of ${list(params["allowedValues"])}`, scope: path };
    case "const":
      return { path, at: "value", message: custom ?? `must be ${show(params["allowedValue"])}`, scope: path };
    case "pattern":
      return { path, at: "value", message: custom ?? `${shown} does not match ${String(params["pattern"])}`, scope: path };
    case "minItems":
      return { path, at: "value", message: params["limit"] === 1 ? "must not be empty" : `must have at least ${String(params["limit"])} items`, scope: path };
    case "minLength":
      return { path, at: "value", message: custom ?? `${shown} must be ${String(params["limit"])} characters at least`, scope: path };
    case "minimum":
    case "maximum":
      return { path, at: "value", message: `must be ${String(params["comparison"])} ${String(params["limit"])} (got ${shown})`, scope: path };
    default:
      return { path, at: "value", message: error.message ?? "is not valid here", scope: path };
  }
}

/** `/routes/2/methods/0` → `["routes", 2, "methods", 0]`, indexes as numbers where the data is a list. */
function toKeyPath(pointer: string, root: unknown): KeyPath {
  if (pointer === "") return [];
  const path: (string | number)[] = [];
  let node: unknown = root;
  for (const raw of pointer.slice(1).split("/")) {
    const segment = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node)) {
      path.push(Number(segment));
      node = node[Number(segment)];
    } else {
      path.push(segment);
      node = node !== null && typeof node === "object" ? (node as Record<string, unknown>)[segment] : undefined;
    }
  }
  return path;
}

function show(value: unknown): string {
  if (value === null || value === undefined) return "an empty value";
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return String(value);
}

function typeName(type: string): string {
  const names: Record<string, string> = {
    integer: "an integer", number: "a number", string: "a string", boolean: "true or false",
    array: "a list", object: "a mapping of keys", null: "empty",
  };
  return type.split(",").map((t) => names[t] ?? t).join(" or ");
}

function list(values: unknown): string {
  return Array.isArray(values) ? values.map((v) => String(v)).join(", ") : String(values);
}

/** A union without its own message, e.g. `hsts: false | {max_age, include_subdomains}`. */
function unionMessage(shown: string, schema: Record<string, unknown>): string {
  const branches = (schema["anyOf"] ?? schema["oneOf"] ?? []) as Record<string, unknown>[];
  const forms = branches.map((branch) =>
    "const" in branch ? show(branch["const"]) : typeof branch["type"] === "string" ? typeName(branch["type"]) : "another form");
  return `${shown} must be ${forms.join(" or ")}`;
}

/** The known key nearest to a mistyped one, when it is near enough to be a likely typo. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}
