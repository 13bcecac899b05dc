/**
 * Where a value sits in the YAML text: turns a key path such as `["routes", 2, "methods", 0]`
 * into a 1-based line and column, and into the JS-like form users read (`routes[2].methods[0]`).
 */
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from "yaml";

/** A path into the document: keys of mappings and indexes of lists. */
export type KeyPath = readonly (string | number)[];

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** Finds positions of paths in one parsed document. */
export interface Locator {
  /** Position of the value at `path`, or of its nearest ancestor present in the text. */
  value(path: KeyPath): Position | undefined;
  /** Position of the key that names the value at `path` (its value's position for list items). */
  key(path: KeyPath): Position | undefined;
}

/** A locator for code-built options: nothing has a place in a text. */
export const NOWHERE: Locator = { value: () => undefined, key: () => undefined };

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `routes[2].methods[0]`; keys that are not identifiers are quoted: `upstreams["api-v1"]`. */
export function formatPath(path: KeyPath): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Builds a locator over a document parsed with `lineCounter`. */
export function documentLocator(doc: Document, lineCounter: LineCounter): Locator {
  const at = (node: Node | null | undefined): Position | undefined => {
    const offset = node?.range?.[0];
    if (offset === undefined) return undefined;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  // Walks as far down the path as the text goes; returns the deepest value and key found.
  const walk = (path: KeyPath): { value: Node | undefined; key: Node | undefined; complete: boolean } => {
    let value = (doc.contents ?? undefined) as Node | undefined;
    let key: Node | undefined;
    for (const segment of path) {
      if (isMap(value)) {
        const pair = value.items.find((item) => keyText(item.key) === String(segment));
        if (pair === undefined) return { value, key, complete: false };
        key = pair.key as Node;
        // `foo:` with nothing after it has no value node: the key is the best place to point.
        value = (pair.value ?? pair.key) as Node;
      } else if (isSeq(value) && typeof segment === "number" && value.items[segment] !== undefined) {
        value = value.items[segment] as Node;
        key = value;
      } else {
        return { value, key, complete: false };
      }
    }
    return { value, key, complete: true };
  };
  return {
    value: (path) => at(walk(path).value),
    key: (path) => {
      const found = walk(path);
      return at(found.complete ? found.key ?? found.value : found.value);
    },
  };
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === "string" ? key : undefined;
}
