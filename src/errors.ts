/**
 * The one registry of Rampart's coded errors and warnings: each code has a short message and
 * help text that says what to do. docs/errors.md documents every code (a test keeps them in
 * step), so a user who sees a code in a log can look it up.
 */

/** What a code means and what the user can do about it. */
export interface CodeInfo {
  readonly code: string;
  readonly message: string;
  readonly help: string;
}

const define = <const T extends Record<string, { readonly message: string; readonly help: string }>>(table: T) => table;

/** Every code Rampart emits. `RAMPART_ERR_*` stop or refuse something; `RAMPART_WARN_*` are logged once. */
export const CODES = define({
  RAMPART_ERR_CONFIG_INVALID: {
    message: "The configuration has errors",
    help: "Each error names the file, line, column and key path. Fix them all and run `rampart check -c FILE`.",
  },
  RAMPART_ERR_CONFIG_SYNTAX: {
    message: "The configuration file is not valid YAML",
    help: "Look at the line and column given: usually a bad indent, a missing `:` or an unclosed quote.",
  },
  RAMPART_ERR_CONFIG_UNREADABLE: {
    message: "The configuration file cannot be read",
    help: "Check the path given with -c and that the user running Rampart may read the file.",
  },
  RAMPART_ERR_RELOAD: {
    message: "The new configuration could not be applied; the running configuration stays in force",
    help: "Fix the errors logged with this message; the file is reloaded on the next change or SIGHUP.",
  },
  RAMPART_ERR_RELOAD_LISTENERS: {
    message: "A reload would change listeners (name, address, port, TLS on/off); nothing was reloaded",
    help: "Bound sockets change only with a restart: restart Rampart, or put the listeners back as they were to reload the rest.",
  },
  RAMPART_ERR_ENV_MISSING: {
    message: "An environment variable named in the configuration is not set",
    help: "Set the variable before starting Rampart, or write `$${` for a literal `${` in a value.",
  },
  RAMPART_ERR_FILE_UNREADABLE: {
    message: "A file named in the configuration cannot be read",
    help: "Paths are relative to the configuration file's folder; check the path and the file's permissions.",
  },
  RAMPART_ERR_UPSTREAM_TLS_FILE: {
    message: "A TLS file of an upstream (ca, cert, key) could not be read when its pool was created",
    help: "Check `upstreams.NAME.tls` and the file's permissions; a file replaced by a broken one is refused and the running pool stays.",
  },
  RAMPART_ERR_UNKNOWN_UPSTREAM: {
    message: "A route or default_upstream names an upstream that is not defined",
    help: "Define the upstream under `upstreams:` or correct the name; the message lists the known upstreams.",
  },
  RAMPART_ERR_ROUTE_CONFLICT: {
    message: "Two routes have the same path shape, or a route id is used twice",
    help: "Each path shape (e.g. /users/:id and /users/:name are the same shape) may appear once; merge the methods into one route.",
  },
  RAMPART_ERR_PERMISSIVE_TRUST_PROXY: {
    message: "trusted_proxies trusts every address",
    help: "Trusting 0.0.0.0/0 or ::/0 lets any client forge X-Forwarded-For and choose its own IP. List only your proxies' addresses or networks.",
  },
  RAMPART_ERR_CORS_WILDCARD_CREDENTIALS: {
    message: "CORS origins \"*\" cannot be combined with credentials: true",
    help: "Browsers refuse credentialed requests to a wildcard origin; list the allowed origins explicitly.",
  },
  RAMPART_ERR_ADMIN_EXPOSED: {
    message: "The admin listener is reachable from other machines and has no tokens",
    help: "Add `admin.tokens`, or bind the admin listener to 127.0.0.1 (the default).",
  },
  RAMPART_ERR_LISTEN: {
    message: "A listener could not bind its address and port",
    help: "Another process may use the port (EADDRINUSE), or ports below 1024 need privileges (EACCES). Change `port` or stop the other process.",
  },
  RAMPART_WARN_TRUST_PROXY_UNSET: {
    message: "X-Forwarded-For arrived but no proxy is trusted; the header is ignored and the peer address is the client",
    help: "If Rampart runs behind a load balancer or CDN, list its addresses in `trusted_proxies`; otherwise clients behind it share one IP for limits.",
  },
  RAMPART_WARN_ADMIN_NO_TOKENS: {
    message: "The admin listener has no tokens: every endpoint but /healthz answers 401",
    help: "Add named tokens under `admin.tokens` (one per operator, 16 characters at least), e.g. from ${ADMIN_TOKEN}.",
  },
});

/** A code from the registry. */
export type RampartCode = keyof typeof CODES;

/** Every code, in registry order. */
export const ALL_CODES: readonly RampartCode[] = Object.freeze(Object.keys(CODES) as RampartCode[]);

/** The message and help of a code. */
export function codeInfo(code: RampartCode): CodeInfo {
  const entry = CODES[code];
  return { code, message: entry.message, help: entry.help };
}

/** An error that carries a registry code and its help text. */
export class RampartError extends Error {
  override readonly name = "RampartError";
  readonly code: RampartCode;
  readonly help: string;
  constructor(code: RampartCode, detail?: string, options?: { readonly cause?: unknown }) {
    const info = CODES[code];
    super(detail === undefined ? info.message : `${info.message}: ${detail}`, options);
    this.code = code;
    this.help = info.help;
  }
}
