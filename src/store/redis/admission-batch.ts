/**
 * The admissions of one limit group that reach the Redis store in the same event-loop turn,
 * sent as ONE script call. Each admission stays atomic on its own: all its items consume or
 * none, and it sees what the admissions before it in the batch consumed, exactly as if each had
 * been its own call in the same order.
 *
 * Why batch: on a busy gateway tens of requests are read per turn. One call for all of them
 * pays the command, the script lookup, the MGET and the reply once instead of per request, in
 * Redis and in the client alike; and the keys they share (a global limit, a busy prefix) are
 * read and written once. No wait is added: the batch leaves at the end of the turn.
 *
 * The call's ARGV (read by limit-script.ts): "admit", the specs, the admissions, then the
 * leases. Specs and admissions are binary little-endian (BinaryWriter): Redis makes a Lua
 * string of every argument and Lua a `tonumber` of every text number, which cost more than
 * the algorithms themselves; `struct.unpack` reads several numbers in one call.
 * - specs: per distinct spec, u8 kind code (KIND_CODES, 1-based), f64 p1..p4;
 * - admissions: u16 count, then per admission f64 now, u16 items, then per item u16 key index
 *   (1-based into KEYS), u16 spec index (1-based), f64 cost, u8 charge later (0|1), u16 lease
 *   index (0 = none, else ARGV[3 + index]).
 */

import { quotaOf, type LimitSpec } from "../../limits/types.ts";
import { admissionCost, storeUnavailable, type AdmitResult, type ItemOutcome, type LimitItem, type StoreUnavailable } from "../limits.ts";
import { BinaryWriter } from "./binary-writer.ts";
import { KIND_CODES, paramsOf } from "./limit-args.ts";

/** One admission waiting for its batch's reply. */
interface Waiting {
  readonly items: readonly LimitItem[];
  /** The lease of each admitted concurrency item, by item index. */
  readonly leases: readonly (string | undefined)[] | undefined;
  readonly resolve: (result: AdmitResult) => void;
}

export class AdmissionBatch {
  /** The batch's distinct Redis keys: KEYS of the call. */
  readonly keys: string[] = [];
  readonly #keyPrefix: string;
  /** Limit key (without the group prefix) → its 1-based index in `keys`. */
  readonly #keyIndex = new Map<string, number>();
  readonly #specs = new BinaryWriter(256);
  readonly #specIndex = new Map<LimitSpec, number>();
  #specCount = 0;
  readonly #admissions = new BinaryWriter(1024);
  readonly #leases: string[] = [];
  readonly #waiting: Waiting[] = [];
  /** When the first admission was queued (performance.now()): its wait counts from here. */
  readonly openedAt = performance.now();

  /** `keyPrefix`: what every key of the batch's group starts with (`<prefix>{<group>}:`). */
  constructor(keyPrefix: string) {
    this.#keyPrefix = keyPrefix;
    this.#admissions.u16(0);
  }

  get size(): number {
    return this.#waiting.length;
  }

  /** Queues one admission; resolves with its own answer once the batch's reply is read. */
  add(items: readonly LimitItem[], now: number, leases: readonly (string | undefined)[] | undefined): Promise<AdmitResult> {
    const out = this.#admissions;
    out.f64(now);
    out.u16(items.length);
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      out.u16(this.#indexOfKey(item.key));
      out.u16(this.#indexOfSpec(item.spec, now));
      out.f64(admissionCost(item.cost));
      out.u8(item.charge === "later" ? 1 : 0);
      const lease = leases?.[i];
      out.u16(lease === undefined ? 0 : this.#leases.push(lease));
    }
    return new Promise((resolve) => this.#waiting.push({ items, leases, resolve }));
  }

  /** ARGV of the call. */
  argv(): (string | Buffer)[] {
    this.#admissions.u16At(0, this.#waiting.length);
    return ["admit", this.#specs.bytes(), this.#admissions.bytes(), ...this.#leases];
  }

  /** Hands each admission its part of the script's reply. */
  answer(reply: unknown): void {
    if (!Array.isArray(reply)) {
      this.fail(storeUnavailable(`redis admit: unexpected reply ${String(reply)}`));
      return;
    }
    let at = 0;
    for (const { items, leases, resolve } of this.#waiting) {
      const allowed = reply[at] === 1;
      const deniedIndex = Number(reply[at + 1]);
      at += 2;
      const outcomes = new Array<ItemOutcome>(items.length);
      let retryAfterMs = 0;
      for (let i = 0; i < items.length; i++, at += 4) {
        const itemAllowed = reply[at] === 1;
        const retry = Number(reply[at + 3]);
        if (!itemAllowed && retry > retryAfterMs) retryAfterMs = retry;
        const outcome = { allowed: itemAllowed, limit: quotaOf(items[i]!.spec), remaining: Number(reply[at + 1]), resetMs: Number(reply[at + 2]), retryAfterMs: retry };
        const lease = allowed ? leases?.[i] : undefined;
        outcomes[i] = lease === undefined ? outcome : { ...outcome, lease };
      }
      resolve({ allowed, deniedIndex, retryAfterMs, items: outcomes });
    }
  }

  /** Every admission of the batch gets `error`: the call failed or timed out. */
  fail(error: StoreUnavailable): void {
    for (const { resolve } of this.#waiting) resolve(error);
  }

  #indexOfKey(key: string): number {
    let index = this.#keyIndex.get(key);
    if (index === undefined) {
      index = this.keys.push(this.#keyPrefix + key);
      this.#keyIndex.set(key, index);
    }
    return index;
  }

  /** Each distinct spec is sent once per call; a calendar's period depends on `now`, so it is never shared. */
  #indexOfSpec(spec: LimitSpec, now: number): number {
    let index = spec.kind === "calendar" ? undefined : this.#specIndex.get(spec);
    if (index === undefined) {
      const [kind, p1, p2, p3, p4] = paramsOf(spec, now);
      this.#specs.u8(KIND_CODES.indexOf(kind) + 1);
      this.#specs.f64(p1);
      this.#specs.f64(p2);
      this.#specs.f64(p3);
      this.#specs.f64(p4);
      index = ++this.#specCount;
      if (spec.kind !== "calendar") this.#specIndex.set(spec, index);
    }
    return index;
  }
}
