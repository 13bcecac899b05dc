/**
 * Loading rampart.yaml into a Config: read, parse (positions kept), substitute `${ENV}`,
 * validate against the schema, compile. Every problem found on the way is returned as an
 * issue with file, line, column and path, all at once, sorted as they appear in the file;
 * nothing here throws for bad input.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import type { RampartCode } from "../errors.ts";
import type { Config } from "./config.ts";
import { compileConfig } from "./compile.ts";
import { substituteEnv } from "./env.ts";
import { sortIssues, type ConfigIssue } from "./issues.ts";
import { documentLocator, formatPath, type KeyPath } from "./positions.ts";
import type { RampartOptions } from "./schema.ts";
import { validateSchema } from "./validate.ts";

export type { ConfigIssue } from "./issues.ts";
export { formatIssue, sortIssues } from "./issues.ts";

export type LoadResult =
  | { readonly ok: true; readonly config: Config; readonly warnings: readonly ConfigIssue[] }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

export interface LoadOptions {
  /** Variables for `${NAME}` substitution (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Reads, substitutes `${ENV}`, validates and compiles a config file. Never throws for bad input. */
export function loadConfigFile(file: string, options?: LoadOptions): LoadResult {
  const absolute = resolve(file);
  let text: string;
  try {
    text = readFileSync(absolute, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "is a folder" : String(code ?? cause);
    return fail([{ file: absolute, line: undefined, column: undefined, path: "", message: `cannot read the config file: ${why}`, code: "RAMPART_ERR_CONFIG_UNREADABLE" }]);
  }
  return parseConfig(text, absolute, options);
}

/** Same from text (used by tests and by adapters built in code). Relative paths resolve against `file`'s folder. */
export function parseConfig(text: string, file: string | undefined, options?: LoadOptions): LoadResult {
  const absolute = file === undefined ? undefined : resolve(file);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return fail(doc.errors.map((error) => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return { file: absolute, line, column: col, path: "", message: `YAML syntax: ${firstLine(error.message)}`, code: "RAMPART_ERR_CONFIG_SYNTAX" };
    }));
  }
  const locate = documentLocator(doc, lineCounter);
  const issue = (path: KeyPath, message: string, code: RampartCode, where: "key" | "value" = "value"): ConfigIssue => {
    const position = where === "key" ? locate.key(path) : locate.value(path);
    return { file: absolute, line: position?.line, column: position?.column, path: formatPath(path), message, code };
  };

  // Substitution first: `port: ${PORT}` must be a number by the time the schema looks at it.
  const envIssues = substituteEnv(doc, options?.env ?? process.env);
  const issues: ConfigIssue[] = envIssues.map((e) => issue(e.path, e.message, e.missing === undefined ? "RAMPART_ERR_CONFIG_INVALID" : "RAMPART_ERR_ENV_MISSING"));
  const scopes: KeyPath[] = envIssues.map((e) => e.path);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (cause) {
    // Alias bombs (billion laughs) stop here rather than exhausting memory.
    return fail([...issues, issue([], `YAML: ${firstLine((cause as Error).message)}`, "RAMPART_ERR_CONFIG_SYNTAX")]);
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    return fail([...issues, issue([], "the file must be a mapping of keys (listeners, upstreams, routes, ...)", "RAMPART_ERR_CONFIG_INVALID")]);
  }
  for (const problem of validateSchema(data)) {
    // A value that failed substitution has already been reported.
    if (scopes.some((scope) => isWithin(problem.path, scope))) continue;
    issues.push(issue(problem.path, problem.message, "RAMPART_ERR_CONFIG_INVALID", problem.at));
    scopes.push(problem.scope);
  }

  // Compile even when the schema failed, so a user sees the cross-reference problems (unknown
  // upstream, bad CIDR, route conflict) in the same run; checks under a reported path are dropped.
  let compiled: ReturnType<typeof compileConfig> | undefined;
  try {
    compiled = compileConfig(data as RampartOptions, { file: absolute, locate, tolerant: issues.length > 0 });
  } catch (cause) {
    // Only reachable when the shape is already wrong enough for the schema to have said so.
    if (issues.length === 0) throw cause;
  }
  if (compiled !== undefined) {
    const own = compiled.ok ? [] : compiled.issues;
    for (const problem of own) {
      if (issues.length > 0 && scopes.some((scope) => isWithin(parsePath(problem.path), scope))) continue;
      issues.push(problem);
    }
    if (issues.length === 0 && compiled.ok) return { ok: true, config: compiled.config, warnings: sortIssues(compiled.warnings) };
  }
  return fail(issues);
}

function fail(issues: readonly ConfigIssue[]): LoadResult {
  return { ok: false, issues: sortIssues(issues) };
}

/** Whether `path` is `scope` or lies under it. */
function isWithin(path: KeyPath, scope: KeyPath): boolean {
  return scope.length <= path.length && scope.every((segment, i) => String(segment) === String(path[i]));
}

/** Reverse of formatPath, enough to compare scopes: `routes[2].methods[0]` → ["routes", 2, "methods", 0]. */
function parsePath(text: string): KeyPath {
  const path: (string | number)[] = [];
  for (const match of text.matchAll(/([A-Za-z_$][A-Za-z0-9_$]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g)) {
    if (match[1] !== undefined) path.push(match[1]);
    else if (match[2] !== undefined) path.push(Number(match[2]));
    else path.push(JSON.parse(`"${match[3] ?? ""}"`) as string);
  }
  return path;
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}

