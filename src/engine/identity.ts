/** Who the caller is, once an auth layer has checked its credentials. */
export interface Identity {
  /** How the identity was established. */
  readonly method: "api_key" | "jwt" | "oauth2" | "mtls";
  /** API key id (never the secret). */
  readonly keyId?: string;
  /** Subject: JWT `sub`, certificate subject, client id. */
  readonly subject?: string;
  readonly scopes: readonly string[];
  /** Plan name for per-plan limits and quotas. */
  readonly plan?: string;
  /** Human name of the client, for logs. */
  readonly client?: string;
}
