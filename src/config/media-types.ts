/** A route's accepted body media types (`body.content_types`): shorthands expanded, names normalized. */

/** What the `json` and `form` shorthands stand for. */
const SHORTHANDS: Readonly<Record<string, string>> = { json: "application/json", form: "application/x-www-form-urlencoded" };

/**
 * Body types whose fields a limit can read. The same rule as the limit layer's body reader
 * (limits/layer/dimensions.ts): JSON and its `+json` structured syntax, or URL-encoded forms.
 */
const FIELD_TYPE = /^(application\/(.+\+)?json|application\/x-www-form-urlencoded)$/;

/**
 * The accepted media types as the gate compares them: lower case (media type names are
 * case-insensitive, RFC 9110 §8.3.1), shorthands expanded, duplicates dropped, in the order given.
 */
export function compileContentTypes(list: readonly string[]): ReadonlySet<string> {
  return new Set(list.map((entry) => {
    const name = entry.trim().toLowerCase();
    return SHORTHANDS[name] ?? name;
  }));
}

/** Whether a limit can read `body.FIELD` from some body the route accepts (JSON or a form). */
export function acceptsFieldBodies(types: ReadonlySet<string>): boolean {
  for (const type of types) if (FIELD_TYPE.test(type)) return true;
  return false;
}
