/**
 * The account a request targets, for the log line: read from the field the route names
 * (`body.username`, `query.user`, `header.x-account`, `param.id`). Runs after the answer,
 * only for routes that declare `account`, and never throws: a body that does not parse
 * simply names no account.
 */
import type { FieldRef } from "../config/config.ts";
import type { RequestFacts } from "../engine/index.ts";

/** Longest account value written to the log: a field is attacker-controlled. */
const MAX_ACCOUNT_LENGTH = 256;

export function accountOf(facts: RequestFacts, field: FieldRef | undefined): string | undefined {
  if (field === undefined) return undefined;
  const value = rawAccount(facts, field);
  if (value === undefined || value === "") return undefined;
  return value.length > MAX_ACCOUNT_LENGTH ? value.slice(0, MAX_ACCOUNT_LENGTH) : value;
}

function rawAccount(facts: RequestFacts, field: FieldRef): string | undefined {
  switch (field.source) {
    case "param":
      return facts.route?.params[field.name];
    case "header": {
      const value = facts.headers[field.name.toLowerCase()];
      return Array.isArray(value) ? value[0] : value;
    }
    case "query":
      return new URLSearchParams(facts.query).get(field.name) ?? undefined;
    case "body":
      return bodyField(facts, field.name);
  }
}

function bodyField(facts: RequestFacts, name: string): string | undefined {
  const body = facts.body;
  if (body === undefined || body.bytes.length === 0) return undefined;
  const text = Buffer.from(body.bytes.buffer, body.bytes.byteOffset, body.bytes.byteLength).toString("utf8");
  if (body.contentType === "application/x-www-form-urlencoded") return new URLSearchParams(text).get(name) ?? undefined;
  if (body.contentType !== "application/json" && !body.contentType.endsWith("+json")) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  // `body.user.email` walks nested objects.
  for (const key of name.split(".")) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
}
