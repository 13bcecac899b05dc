/**
 * The admissions of one limit group that reach the Redis store in the same event-loop turn,
 * sent as ONE script call (see limit-script.ts for the layout). Each admission stays atomic on
 * its own: all its items consume or none, and it sees what the admissions before it in the
 * batch consumed, exactly as if each had been its own call in the same order.
 *
 * Why batch: on a busy gateway tens of requests are read per turn. One call for all of them
 * pays the command, the script lookup, the MGET and the reply once instead of per request, in
 * Redis and in the client alike; and the keys they share (a global limit, a busy prefix) are
 * read and written once. No wait is added: the batch leaves at the end of the turn.
 */

import { quotaOf } from "../../limits/types.ts";
import { admissionCost, storeUnavailable, type AdmitResult, type ItemOutcome, type LimitItem, type StoreUnavailable } from "../limits.ts";
import { pushItem } from "./limit-args.ts";

/** One admission waiting for its batch's reply. */
interface Waiting {
  readonly items: readonly LimitItem[];
  /** The lease of each admitted concurrency item, by item index. */
  readonly leases: readonly (string | undefined)[] | undefined;
  readonly resolve: (result: AdmitResult) => void;
}

export class AdmissionBatch {
  readonly group: string;
  /** The batch's distinct Redis keys: KEYS of the call. */
  readonly keys: string[] = [];
  /** ARGV of the call; its second slot (the number of admissions) is filled by `argvToSend`. */
  readonly #argv: string[] = ["admit", "0"];
  readonly #keyPrefix: string;
  /** Redis key → its 1-based index in `keys`, as the script reads it. */
  readonly #keyIndex = new Map<string, string>();
  readonly #waiting: Waiting[] = [];

  constructor(group: string, keyPrefix: string) {
    this.group = group;
    this.#keyPrefix = keyPrefix;
  }

  get size(): number {
    return this.#waiting.length;
  }

  /** Queues one admission; resolves with its own answer once the batch's reply is read. */
  add(items: readonly LimitItem[], now: number, leases: readonly (string | undefined)[] | undefined): Promise<AdmitResult> {
    const argv = this.#argv;
    argv.push(String(now), String(items.length));
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      argv.push(this.#indexOf(this.#keyPrefix + item.key));
      pushItem(argv, item.spec, now, admissionCost(item.cost), item.charge ?? "now", leases?.[i] ?? "");
    }
    return new Promise((resolve) => this.#waiting.push({ items, leases, resolve }));
  }

  /** ARGV to send, with the number of admissions set. */
  argvToSend(): string[] {
    this.#argv[1] = String(this.#waiting.length);
    return this.#argv;
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

  #indexOf(key: string): string {
    let index = this.#keyIndex.get(key);
    if (index === undefined) {
      index = String(this.keys.push(key));
      this.#keyIndex.set(key, index);
    }
    return index;
  }
}
