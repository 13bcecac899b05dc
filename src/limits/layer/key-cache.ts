/**
 * Counter keys of one limit, made once per dimension value. A key built by concatenation is a
 * rope: every Map lookup of it in a store flattens and hashes it again. The cached key is one
 * flat string whose hash V8 keeps, so the store's lookups of a returning client are cheap.
 * Bounded: the cache is dropped when full (a rotation attack only costs it its hits).
 */

/** Values kept per limit before the cache starts over. */
const MAX_KEYS = 4096;

export class KeyCache {
  readonly #prefix: string;
  #keys = new Map<string, string>();

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  /** `prefix + value`, flat. */
  keyOf(value: string): string {
    let key = this.#keys.get(value);
    if (key === undefined) {
      if (this.#keys.size >= MAX_KEYS) this.#keys = new Map();
      // join copies into one flat string (a `+` would keep a rope of the two parts).
      key = [this.#prefix, value].join("");
      this.#keys.set(value, key);
    }
    return key;
  }
}
