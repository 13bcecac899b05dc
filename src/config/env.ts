/**
 * `${NAME}` substitution for secrets, applied to the parsed YAML's string values (not to the
 * raw text) so every position stays true and a variable's content can never inject YAML
 * structure. `$${` writes a literal `${`. A plain (unquoted) value that is exactly `${NAME}`
 * is re-read as a YAML scalar, so `port: ${PORT}` is a number and `enabled: ${ON}` a boolean.
 */
import { isMap, isScalar, isSeq, parseDocument, Scalar, type Document, type Node } from "yaml";
import type { KeyPath } from "./positions.ts";

export type Env = Readonly<Record<string, string | undefined>>;

/** A problem with one reference, at the value that holds it. */
export interface EnvIssue {
  readonly path: KeyPath;
  readonly message: string;
  /** The variable that is not set, when that is the problem. */
  readonly missing: string | undefined;
}

const REFERENCE = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const WHOLE_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** Replaces references in every string value of `doc`, in place; returns what could not be replaced. */
export function substituteEnv(doc: Document, env: Env): EnvIssue[] {
  const issues: EnvIssue[] = [];
  visit(doc.contents as Node | null, [], (scalar, path) => substituteScalar(scalar, path, env, issues));
  return issues;
}

function visit(node: Node | null | undefined, path: KeyPath, onScalar: (scalar: Scalar, path: KeyPath) => void): void {
  if (isScalar(node)) onScalar(node, path);
  else if (isSeq(node)) node.items.forEach((item, i) => visit(item as Node, [...path, i], onScalar));
  else if (isMap(node)) {
    // Keys are never substituted: a key naming a secret would be a strange config.
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      visit(pair.value as Node | null, [...path, key], onScalar);
    }
  }
  // Aliases point at an anchored node that is visited where it is defined.
}

function substituteScalar(scalar: Scalar, path: KeyPath, env: Env, issues: EnvIssue[]): void {
  if (typeof scalar.value !== "string" || !scalar.value.includes("${")) return;
  const text = scalar.value;
  let failed = false;
  const replaced = text.replace(REFERENCE, (match, name: string | undefined) => {
    if (match === "$${") return "${";
    if (name === undefined) {
      failed = true;
      issues.push({ path, message: 'unclosed "${" (write "$${" for a literal "${")', missing: undefined });
      return match;
    }
    if (!VARIABLE_NAME.test(name)) {
      failed = true;
      issues.push({ path, message: `"\${${name}}" is not a variable reference (letters, digits and _)`, missing: undefined });
      return match;
    }
    const value = env[name];
    if (value === undefined) {
      failed = true;
      issues.push({ path, message: `environment variable ${name} is not set`, missing: name });
      return match;
    }
    return value;
  });
  if (failed) return;
  scalar.value = scalar.type === Scalar.PLAIN && WHOLE_REFERENCE.test(text) ? reread(replaced) : replaced;
}

/** Reads substituted text as a YAML scalar (number, boolean, null, string); anything else stays text. */
function reread(text: string): unknown {
  if (text.trim() === "") return text;
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || !isScalar(doc.contents)) return text;
  return doc.contents.value;
}
