/**
 * Decisions are data: a closed set of actions, the reasons that led there, the risk score
 * and the headers to add. A denial is never an exception.
 */

/** What happens to a request. `drop` closes the connection without an answer. */
export type Action = "allow" | "deny" | "throttle" | "challenge" | "tarpit" | "drop";

export const ACTIONS: readonly Action[] = ["allow", "deny", "throttle", "challenge", "tarpit", "drop"];

/** Why a layer decided or signalled something. Goes to the log, never to the client by default. */
export interface Reason {
  /** The layer that gave the reason, e.g. `gate`. */
  readonly layer: string;
  /** A stable machine code, e.g. `method_not_allowed`, `ip_denied`, `layer_error`. */
  readonly code: string;
  /** Free text for the log. */
  readonly detail?: string;
}

/** A layer's final word on a request; it ends the pipeline. */
export interface Verdict {
  readonly action: Action;
  /** HTTP status for the answer (ignored for `allow` and `drop`). */
  readonly status: number;
  readonly reason: Reason;
  /** Headers the answer must carry (e.g. `Allow`, `Retry-After`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** For `tarpit`: how long to hold the answer before denying, in milliseconds. */
  readonly holdMs?: number;
}

/** The pipeline's result for one request. */
export interface Decision {
  readonly action: Action;
  readonly status: number;
  readonly reasons: readonly Reason[];
  readonly risk: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly holdMs?: number;
  /**
   * In dry-run mode a non-allow decision is turned into `allow`; this keeps what would have
   * happened so that the log can say so.
   */
  readonly wouldHave?: { readonly action: Action; readonly status: number };
  /** Layers that threw while evaluating this request (each handled by the on_error policy). */
  readonly errors: readonly LayerFailure[];
}

/** A layer that threw: handled by the route's `on_error` policy, always logged. */
export interface LayerFailure {
  readonly layer: string;
  readonly message: string;
  readonly policy: "open" | "closed";
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
const NO_REASONS: readonly Reason[] = Object.freeze([]);
const NO_ERRORS: readonly LayerFailure[] = Object.freeze([]);

/** The shared, frozen decision for a request nothing objected to (no allocation on the hot path). */
export const ALLOW: Decision = Object.freeze({
  action: "allow",
  status: 200,
  reasons: NO_REASONS,
  risk: 0,
  headers: NO_HEADERS,
  errors: NO_ERRORS,
});

export function isAllowed(decision: Decision): boolean {
  return decision.action === "allow";
}
