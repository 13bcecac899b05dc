/** A static import-graph walker for the architecture test: which files a set of entry files reaches. */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, join, resolve } from "node:path";

/** One forbidden edge: `importer` imports `specifier`, reached from an entry through `chain`. */
export interface Violation {
  readonly importer: string;
  readonly specifier: string;
  readonly why: string;
  /** Files from the entry to the importer. */
  readonly chain: readonly string[];
}

export interface Rules {
  /** Absolute folders no reachable file may import from. */
  readonly forbiddenDirs: readonly string[];
  /** Package specifiers (and their subpaths) no reachable file may import. */
  readonly forbiddenPackages: readonly string[];
}

/** Removes comments, keeping string contents, so an import in a comment is not an import. */
export function stripComments(source: string): string {
  let out = "";
  let quote: string | undefined;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i] as string;
    if (quote !== undefined) {
      out += ch;
      if (ch === "\\") out += source[++i] ?? "";
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === "/" && source[i + 1] === "/") {
      while (i < source.length && source[i] !== "\n") i++;
      out += "\n";
      continue;
    }
    if (ch === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      i = end === -1 ? source.length : end + 1;
      out += " ";
      continue;
    }
    if (ch === '"' || ch === "'" || ch === "`") quote = ch;
    out += ch;
  }
  return out;
}

const PATTERNS = [
  /\bfrom\s*["']([^"'\n]+)["']/g, // import … from "x", export … from "x"
  /\bimport\s*["']([^"'\n]+)["']/g, // import "x" (side effects)
  /\bimport\s*\(\s*["']([^"'\n]+)["']\s*\)/g, // import("x")
  /\brequire\s*\(\s*["']([^"'\n]+)["']\s*\)/g, // require("x"), should CommonJS creep in
];

/** Every module specifier a source text imports statically (and `import("literal")`). */
export function importsOf(source: string): string[] {
  const text = stripComments(source);
  const found = new Set<string>();
  for (const pattern of PATTERNS) for (const match of text.matchAll(pattern)) found.add(match[1] as string);
  return [...found];
}

/** The file a relative specifier names, trying `.ts` for `.js` and `index.ts` for folders. */
function resolveRelative(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier);
  const candidates = [base, base.replace(/\.js$/, ".ts"), `${base}.ts`, join(base, "index.ts")];
  return candidates.find((file) => existsSync(file) && statSync(file).isFile());
}

function forbiddenPackage(specifier: string, packages: readonly string[]): string | undefined {
  return packages.find((name) => specifier === name || specifier.startsWith(`${name}/`));
}

const CODE = new Set([".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"]);

/** Walks every file reachable from `entries` through relative imports and reports forbidden imports. */
export function checkImports(entries: readonly string[], rules: Rules): { readonly reached: ReadonlySet<string>; readonly violations: Violation[] } {
  const reached = new Set<string>();
  const violations: Violation[] = [];
  const queue: { file: string; chain: string[] }[] = entries.map((file) => ({ file: resolve(file), chain: [] }));
  while (queue.length > 0) {
    const { file, chain } = queue.shift() as { file: string; chain: string[] };
    if (reached.has(file)) continue;
    reached.add(file);
    if (!CODE.has(extname(file))) continue;
    const path = [...chain, file];
    for (const specifier of importsOf(readFileSync(file, "utf8"))) {
      if (specifier.startsWith(".")) {
        const target = resolveRelative(file, specifier);
        if (target === undefined) {
          violations.push({ importer: file, specifier, why: "unresolved relative import", chain: path });
          continue;
        }
        const dir = rules.forbiddenDirs.find((forbidden) => target === forbidden || target.startsWith(`${forbidden}/`));
        if (dir !== undefined) violations.push({ importer: file, specifier, why: `imports ${dir}`, chain: path });
        queue.push({ file: target, chain: path });
        continue;
      }
      const pkg = forbiddenPackage(specifier, rules.forbiddenPackages);
      if (pkg !== undefined) violations.push({ importer: file, specifier, why: `imports ${pkg}`, chain: path });
    }
  }
  return { reached, violations };
}

/** One readable line per violation, with the chain that reached it. */
export function describeViolations(violations: readonly Violation[], root: string): string {
  const rel = (file: string) => file.slice(root.length + 1);
  return violations.map((v) => `${rel(v.importer)}: "${v.specifier}" (${v.why}) via ${v.chain.map(rel).join(" → ")}`).join("\n");
}
