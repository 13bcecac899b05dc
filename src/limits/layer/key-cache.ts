/**
 * Counter keys of one limit, made once per dimension value. A key built by concatenation is a
 * rope: every Map lookup of it in a store flattens and hashes it again. The cached key is one
 * flat string whose hash V8 keeps, so the store's lookups of a returning client are cheap.
 * Bounded: a cache is dropped when full (a rotation attack only costs it its hits).
 */
import type { LimitDimension } from "../../config/config.ts";
import { keyOf, type RequestView } from "./dimensions.ts";

/** Values kept per limit before the cache starts over. */
const MAX_KEYS = 4096;

class KeyCache {
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

/**
 * The counter key of one limit for a request. Most limits are keyed by the client address
 * alone (`[ip]`, `[ip_prefix]`) or by nothing that varies (`[global]`): their keys are found
 * without reading the request again — by the address string, which is the same string object
 * for every request of a connection, so its hash is computed once — or made once for all.
 */
export class CounterKeys {
  readonly #dimensions: readonly LimitDimension[];
  readonly #values: KeyCache;
  /** Client address → key, for a limit keyed by the address alone. */
  #byAddress: Map<string, string> | undefined;
  #constant: string | undefined;
  readonly #isConstant: boolean;
  /** Whether the key depends on the client address alone, or on nothing that varies. */
  readonly byAddress: boolean;

  constructor(prefix: string, dimensions: readonly LimitDimension[]) {
    this.#dimensions = dimensions;
    this.#values = new KeyCache(prefix);
    this.#isConstant = dimensions.every((dimension) => dimension.kind === "global");
    const only = dimensions.length === 1 ? dimensions[0]!.kind : undefined;
    if (only === "ip" || only === "ip_prefix") this.#byAddress = new Map();
    this.byAddress = this.#isConstant || this.#byAddress !== undefined;
  }

  of(view: RequestView): string {
    if (this.#isConstant) return this.#constant ??= this.#made(view);
    const byAddress = this.#byAddress;
    if (byAddress === undefined) return this.#made(view);
    const address = view.facts.clientIp;
    let key = byAddress.get(address);
    if (key === undefined) {
      if (byAddress.size >= MAX_KEYS) this.#byAddress = new Map();
      key = this.#made(view);
      this.#byAddress!.set(address, key);
    }
    return key;
  }

  #made(view: RequestView): string {
    return this.#values.keyOf(keyOf(this.#dimensions, view));
  }
}
