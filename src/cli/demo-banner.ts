/** What `rampart demo` prints once everything listens: the URLs and a few requests to try. */
import { DEMO_CREDENTIALS } from "../demo/data.ts";

export interface DemoBannerInput {
  readonly gatewayUrl: string;
  readonly apiUrl: string;
  readonly adminUrl: string | undefined;
  /** The admin token when the demo generated it; undefined when it came from the environment. */
  readonly generatedToken: string | undefined;
}

/** Quotes a value for a POSIX shell line. */
const sh = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;

/** The banner text, ending with a newline. */
export function demoBanner(input: DemoBannerInput): string {
  const { gatewayUrl: gw, apiUrl, adminUrl, generatedToken } = input;
  const user = DEMO_CREDENTIALS[0] ?? { username: "alice", password: "" };
  const login = JSON.stringify({ username: user.username, password: user.password });
  // Double quotes when the token is in the environment, so the shell expands it.
  const authHeader = generatedToken === undefined
    ? `"authorization: Bearer $RAMPART_ADMIN_TOKEN"`
    : sh(`authorization: Bearer ${generatedToken}`);
  const lines = [
    "Rampart demo",
    `  gateway   ${gw}   (examples/demo.yaml)`,
    `  demo API  ${apiUrl}   (what the gateway protects; bypasses it)`,
  ];
  if (adminUrl !== undefined) {
    lines.push(generatedToken === undefined
      ? `  admin     ${adminUrl}   token from $RAMPART_ADMIN_TOKEN`
      : `  admin     ${adminUrl}   token ${generatedToken} (generated; set RAMPART_ADMIN_TOKEN to choose it)`);
  }
  lines.push(
    "",
    "Try:",
    "  # a login (200; a wrong password gets 401)",
    `  curl -i -X POST ${gw}/auth/login -H 'content-type: application/json' -d ${sh(login)}`,
    "  # a method the route does not allow: 405 with Allow, the API never sees it",
    `  curl -i -X DELETE ${gw}/products`,
    "  # an unknown path: 404 at the gateway",
    `  curl -i ${gw}/wp-login.php`,
    "  # a CORS preflight answered by the gateway: 204",
    `  curl -i -X OPTIONS ${gw}/products -H 'Origin: http://localhost:3000' -H 'Access-Control-Request-Method: GET'`,
  );
  if (adminUrl !== undefined) {
    lines.push("  # the metrics, with the admin token", `  curl -H ${authHeader} ${adminUrl}/metrics`);
  }
  lines.push("", "One JSON log line per request follows. Ctrl-C stops.", "");
  return lines.join("\n");
}
