/** Bench baseline: the minimal undici proxy alone — what any proxy costs before it decides anything. */
import { proxyRequest, serve, upstreamPool } from "./minimal-proxy.ts";

const pool = upstreamPool("undici-proxy.ts");
serve((req, res) => void proxyRequest(pool, req, res));
