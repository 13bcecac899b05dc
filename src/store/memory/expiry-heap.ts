/**
 * A min-heap of (expiry, key) used by the memory limit store to find expired keys first. It is
 * lazy: a key is pushed when inserted, not on every update, so an entry may sit in the heap with
 * an older expiry than its current one (the store re-pushes it when it surfaces) or after its key
 * was evicted (dropped when it surfaces, or by `rebuild`).
 */
export class ExpiryHeap {
  #times: number[] = [];
  #keys: string[] = [];

  get size(): number { return this.#times.length; }

  push(expiresAt: number, key: string): void {
    const times = this.#times, keys = this.#keys;
    let i = times.length;
    times.push(expiresAt); keys.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (times[parent]! <= expiresAt) break;
      times[i] = times[parent]!; keys[i] = keys[parent]!;
      i = parent;
    }
    times[i] = expiresAt; keys[i] = key;
  }

  /** The smallest expiry, or Infinity when empty. */
  peekTime(): number { return this.#times.length === 0 ? Infinity : this.#times[0]!; }

  /** Removes and returns the key with the smallest expiry. */
  pop(): string | undefined {
    const times = this.#times, keys = this.#keys;
    if (times.length === 0) return undefined;
    const top = keys[0]!;
    const lastTime = times.pop()!, lastKey = keys.pop()!;
    const n = times.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && times[child + 1]! < times[child]!) child++;
        if (times[child]! >= lastTime) break;
        times[i] = times[child]!; keys[i] = keys[child]!;
        i = child;
      }
      times[i] = lastTime; keys[i] = lastKey;
    }
    return top;
  }

  /** Replaces the content with `entries` (used when stale entries pile up). */
  rebuild(entries: Iterable<readonly [string, number]>): void {
    this.#times = []; this.#keys = [];
    for (const [key, expiresAt] of entries) this.push(expiresAt, key);
  }

  clear(): void { this.#times = []; this.#keys = []; }
}
