/**
 * The rate-limit layer's verdicts: what a request gets when a limit is exceeded (the most
 * severe action among the limits that refused it), when the store is down and the route is
 * closed, and when an allow-list let it pass.
 */
import type { ExceedAction } from "../../config/config.ts";
import type { Verdict } from "../../engine/index.ts";
import type { Admission } from "../../store/limits.ts";
import type { Bypass } from "./allow.ts";
import type { PreparedRule } from "./plan.ts";
import { RETRY_AFTER, retryAfterSeconds } from "./ratelimit-headers.ts";

export const LAYER = "rate_limit";

/** Which action wins when several limits refuse a request. */
const SEVERITY: Readonly<Record<ExceedAction, number>> = { delay: 0, throttle: 1, challenge: 2, tarpit: 3, deny: 4, drop: 5 };

/** 503 when the store cannot answer and a limit of the route says `on_store_error: closed`. */
export const STORE_CLOSED: Verdict = Object.freeze({
  action: "deny",
  status: 503,
  reason: Object.freeze({ layer: LAYER, code: "store_unavailable" }),
  headers: Object.freeze({ [RETRY_AFTER]: "1" }),
});

/** The refusing limit that decides the answer: the most severe action, the first on a tie. */
export function decidingRule(rules: readonly PreparedRule[], admission: Admission): PreparedRule {
  let chosen = rules[admission.deniedIndex]!;
  for (let i = 0; i < rules.length; i++) {
    if (admission.items[i]?.allowed !== false) continue;
    if (SEVERITY[rules[i]!.rule.onExceed] > SEVERITY[chosen.rule.onExceed]) chosen = rules[i]!;
  }
  return chosen;
}

/**
 * How long a `delay` may still wait for this refusal, or undefined when the request cannot be
 * delayed (a refusing limit does not delay, or the wait would pass the smallest `max_delay`).
 */
export function delayFor(rules: readonly PreparedRule[], admission: Admission, waitedMs: number): number | undefined {
  let budget = Number.POSITIVE_INFINITY;
  for (let i = 0; i < rules.length; i++) {
    if (admission.items[i]?.allowed !== false) continue;
    const rule = rules[i]!.rule;
    if (rule.onExceed !== "delay") return undefined;
    budget = Math.min(budget, rule.maxDelayMs);
  }
  const wait = admission.retryAfterMs;
  return wait > 0 && waitedMs + wait <= budget ? wait : undefined;
}

/** The answer to a refused request: 429 (throttle, challenge, tarpit after its hold), 403, or a dropped connection. */
export function exceeded(rule: PreparedRule, key: string, admission: Admission, headers: Record<string, string>): Verdict {
  headers[RETRY_AFTER] = retryAfterSeconds(admission.retryAfterMs);
  const reason = { layer: LAYER, code: "rate_limited", detail: `${rule.rule.name} (${key}): retry in ${admission.retryAfterMs} ms` };
  switch (rule.rule.onExceed) {
    case "deny": return { action: "deny", status: 403, reason, headers };
    case "challenge": return { action: "challenge", status: 429, reason, headers };
    case "tarpit": return { action: "tarpit", status: 429, reason, headers, holdMs: rule.rule.tarpitMs };
    case "drop": return { action: "drop", status: 429, reason };
    default: return { action: "throttle", status: 429, reason, headers };
  }
}

/** A final allow for an allow-listed client: the log says which entries and which limits it bypassed. */
export function allowListed(bypass: Bypass, skipped: readonly string[]): Verdict {
  const limits = bypass.limits === undefined ? "all limits" : skipped.join(", ");
  return { action: "allow", status: 200, reason: { layer: LAYER, code: "allow_listed", detail: `${bypass.entries.join(", ")}: bypassed ${limits}` } };
}
