/**
 * Allow-lists: addresses and API keys that bypass the limits they name (all by default). The
 * address is facts.clientIp, derived through trusted proxies only: a client cannot allow-list
 * itself by writing X-Forwarded-For.
 */
import type { AllowRule } from "../../config/config.ts";

/** What the allow-lists grant one request. */
export interface Bypass {
  /** Names of the matching allow-list entries, for the log. */
  readonly entries: readonly string[];
  /** Limit names bypassed; undefined = every limit. */
  readonly limits: ReadonlySet<string> | undefined;
}

/** The bypass for a client, or undefined when no entry names it. */
export function matchAllow(rules: readonly AllowRule[], ip: string, keyId: string | undefined): Bypass | undefined {
  let entries: string[] | undefined;
  let limits: Set<string> | undefined;
  let all = false;
  for (const rule of rules) {
    const matches = rule.cidrs?.has(ip) === true || (keyId !== undefined && rule.keyIds.has(keyId));
    if (!matches) continue;
    (entries ??= []).push(rule.name);
    if (rule.limits === undefined) all = true;
    else for (const name of rule.limits) (limits ??= new Set()).add(name);
  }
  if (entries === undefined) return undefined;
  return { entries, limits: all ? undefined : limits };
}

export function bypasses(bypass: Bypass | undefined, name: string): boolean {
  return bypass !== undefined && (bypass.limits === undefined || bypass.limits.has(name));
}
