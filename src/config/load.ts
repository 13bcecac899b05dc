/** CONTRACT STUB (owner: config helper) — loading rampart.yaml into a Config. */
import type { Config } from "./config.ts";

/** One problem in a config file: where it is and what is wrong, in words a user can act on. */
export interface ConfigIssue {
  readonly file: string | undefined;
  /** 1-based; undefined when the problem has no place in the text (e.g. file unreadable). */
  readonly line: number | undefined;
  readonly column: number | undefined;
  /** JS-like path into the document, e.g. `routes[2].methods[0]` ("" for the whole file). */
  readonly path: string;
  readonly message: string;
}

export type LoadResult =
  | { readonly ok: true; readonly config: Config; readonly warnings: readonly ConfigIssue[] }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

export interface LoadOptions {
  /** Variables for `${NAME}` substitution (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Reads, substitutes `${ENV}`, validates and compiles a config file. Never throws for bad input. */
export function loadConfigFile(file: string, options?: LoadOptions): LoadResult {
  void file; void options;
  throw new Error("contract stub");
}

/** Same from text (used by tests and by adapters built in code). */
export function parseConfig(text: string, file: string | undefined, options?: LoadOptions): LoadResult {
  void text; void file; void options;
  throw new Error("contract stub");
}

/** `file:line:column path: message` — one line per issue. */
export function formatIssue(issue: ConfigIssue): string {
  return `${issue.file ?? "<config>"}:${issue.line ?? 0}:${issue.column ?? 0} ${issue.path}: ${issue.message}`;
}
