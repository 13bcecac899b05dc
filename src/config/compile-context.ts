/**
 * What every part of compile.ts shares: the issue lists, positions, and the parsers of values
 * (durations, sizes, files, CIDR lists) that report a bad value at its path instead of throwing.
 */
import { accessSync, constants, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { RampartCode } from "../errors.ts";
import { InvalidCidrError, parseCidrSet, type CidrSet } from "../net/cidr.ts";
import { parseDuration } from "./durations.ts";
import type { ConfigIssue } from "./issues.ts";
import { formatPath, type KeyPath, type Locator } from "./positions.ts";
import { parseSize } from "./sizes.ts";

export class CompileContext {
  readonly file: string | undefined;
  /** Folder that relative paths in the config are resolved against. */
  readonly baseDir: string;
  readonly issues: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];
  readonly #locate: Locator;
  readonly #tolerant: boolean;

  /** `tolerant`: the options failed the schema, so parts may be missing or of the wrong type. */
  constructor(file: string | undefined, baseDir: string, locate: Locator, tolerant: boolean) {
    this.file = file;
    this.baseDir = baseDir;
    this.#locate = locate;
    this.#tolerant = tolerant;
  }

  /**
   * Compiles one part. On options that failed the schema a part may be malformed (already
   * reported there): it is skipped so the other parts are still checked. On valid options an
   * exception is a bug and propagates.
   */
  attempt<T>(compile: () => T): T | undefined {
    if (!this.#tolerant) return compile();
    try {
      return compile();
    } catch {
      return undefined;
    }
  }

  /** Records an error at `path` (pointing at its key when `at` is "key"). */
  error(path: KeyPath, message: string, code: RampartCode = "RAMPART_ERR_CONFIG_INVALID", at: "key" | "value" = "value"): void {
    this.issues.push(this.#issue(path, message, code, at));
  }

  warn(path: KeyPath, message: string, code: RampartCode): void {
    this.warnings.push(this.#issue(path, message, code, "value"));
  }

  /** Milliseconds of a duration, or the default when unset. A bad value is an issue (NaN returned). */
  duration(path: KeyPath, value: string | undefined, defaultMs: number): number {
    if (value === undefined) return defaultMs;
    const ms = parseDuration(value);
    if (ms !== undefined) return ms;
    this.error(path, `${JSON.stringify(value)} is not a duration (e.g. 250ms, 10s, 5m, 1h)`);
    return Number.NaN;
  }

  /** Bytes of a size, or the default when unset. A bad value is an issue (NaN returned). */
  size(path: KeyPath, value: number | string | undefined, defaultBytes: number): number {
    if (value === undefined) return defaultBytes;
    const bytes = parseSize(value);
    if (bytes !== undefined) return bytes;
    this.error(path, `${JSON.stringify(value)} is not a size (e.g. 512, 16kb, 1mb)`);
    return Number.NaN;
  }

  /** Absolute path of a file the config names; an issue when it cannot be read now. */
  readableFile(path: KeyPath, value: string): string {
    const absolute = isAbsolute(value) ? value : resolve(this.baseDir, value);
    try {
      if (!statSync(absolute).isFile()) {
        this.error(path, `"${absolute}" is not a file`, "RAMPART_ERR_FILE_UNREADABLE");
      } else {
        accessSync(absolute, constants.R_OK);
      }
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : String(code ?? cause);
      this.error(path, `cannot read "${absolute}": ${why}`, "RAMPART_ERR_FILE_UNREADABLE");
    }
    return absolute;
  }

  /** A compiled CIDR set, or undefined when unset or empty; a bad entry is an issue at its index. */
  cidrs(path: KeyPath, entries: readonly string[] | undefined): CidrSet | undefined {
    if (entries === undefined || entries.length === 0) return undefined;
    try {
      return parseCidrSet(entries);
    } catch (cause) {
      if (!(cause instanceof InvalidCidrError)) throw cause;
      // Report every bad entry, not only the first.
      entries.forEach((entry, i) => {
        if (i === cause.index || (i > cause.index && !isCidr(entry))) {
          this.error([...path, i], `"${entry}" is not an IP address or CIDR block (e.g. 10.0.0.0/8, 2001:db8::/32)`);
        }
      });
      return undefined;
    }
  }

  #issue(path: KeyPath, message: string, code: RampartCode, at: "key" | "value"): ConfigIssue {
    const position = at === "key" ? this.#locate.key(path) : this.#locate.value(path);
    return { file: this.file, line: position?.line, column: position?.column, path: formatPath(path), message, code };
  }
}

function isCidr(entry: string): boolean {
  try {
    parseCidrSet([entry]);
    return true;
  } catch {
    return false;
  }
}
