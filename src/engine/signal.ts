/**
 * Signals carry evidence, not verdicts: intel, behavior and validation layers add them, the
 * policy sums their scores into a risk score and a tier.
 */

export interface Signal {
  readonly layer: string;
  /** Stable name, e.g. `datacenter_ip`, `sequential_ids`. */
  readonly name: string;
  /** Contribution to the risk score; negative scores lower risk (e.g. a verified partner). */
  readonly score: number;
  readonly detail?: string;
}

/** Risk tiers scale limits; `blocked` denies. */
export type Tier = "trusted" | "normal" | "suspicious" | "blocked";
