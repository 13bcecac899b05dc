/** A problem found in a config: where it is, what is wrong, and its registry code. */
import type { RampartCode } from "../errors.ts";

/** One problem in a config file: where it is and what is wrong, in words a user can act on. */
export interface ConfigIssue {
  readonly file: string | undefined;
  /** 1-based; undefined when the problem has no place in the text (e.g. file unreadable). */
  readonly line: number | undefined;
  readonly column: number | undefined;
  /** JS-like path into the document, e.g. `routes[2].methods[0]` ("" for the whole file). */
  readonly path: string;
  readonly message: string;
  /** Registry code (src/errors.ts), e.g. RAMPART_ERR_CONFIG_INVALID. */
  readonly code?: RampartCode;
}

/** Orders issues as they appear in the file; issues without a place come first. */
export function sortIssues<T extends ConfigIssue>(issues: readonly T[]): T[] {
  return [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

/** `file:line:column path: message` — one line per issue. */
export function formatIssue(issue: ConfigIssue): string {
  const where = `${issue.file ?? "<config>"}:${issue.line ?? 0}:${issue.column ?? 0}`;
  return issue.path === "" ? `${where} ${issue.message}` : `${where} ${issue.path}: ${issue.message}`;
}
