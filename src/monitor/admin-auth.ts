/** Bearer-token authentication of the admin API: named tokens, compared in constant time. */
import { createHash, timingSafeEqual } from "node:crypto";

/** Answers the operator's name for a valid `Authorization` header, undefined otherwise. */
export type Authenticator = (authorization: string | undefined) => string | undefined;

interface TokenEntry {
  readonly digest: Buffer;
  readonly operator: string;
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

function digestOf(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

/**
 * Builds the token check once from `token → operator name`. Both the presented token and
 * every configured one are hashed to 32 bytes and compared with `timingSafeEqual`, and every
 * configured token is compared on every request: neither the time taken nor an early exit
 * tells a caller how long a valid token is, how much of it they guessed, or which one exists.
 */
export function createAuthenticator(tokens: ReadonlyMap<string, string>): Authenticator {
  const entries: readonly TokenEntry[] = [...tokens].map(([token, operator]) => ({ digest: digestOf(token), operator }));
  return (authorization) => {
    if (entries.length === 0 || authorization === undefined) return undefined;
    const match = BEARER.exec(authorization);
    if (match === null) return undefined;
    const presented = digestOf(match[1] as string);
    let operator: string | undefined;
    for (const entry of entries) {
      if (timingSafeEqual(presented, entry.digest) && operator === undefined) operator = entry.operator;
    }
    return operator;
  };
}
