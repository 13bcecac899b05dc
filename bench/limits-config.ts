/**
 * The gateway configs bench:limits compares: one route, with no rate limits or with 3 limits
 * per request (per IP, per /24, global; high enough never to deny) on the memory store (with
 * or without the RateLimit fields) or on Redis.
 */
import { benchGatewayYaml } from "./harness.ts";

export type Limits = "none" | "memory" | "memory_no_headers" | "redis";

const HUGE = 1_000_000_000;

const THREE_LIMITS = `
    rate_limits:
      - { name: per_ip, limit: ${HUGE}, window: 1m, key: [ip] }
      - { name: per_prefix, algorithm: token_bucket, burst: ${HUGE}, rate: ${HUGE}, window: 1s, key: [ip_prefix] }
      - { name: everyone, algorithm: fixed_window, limit: ${HUGE}, window: 1h, key: [global] }`;

export interface LimitsBenchOptions {
  readonly upstreamPort: number;
  readonly logFile: string;
  readonly limits: Limits;
  readonly redisPort: number;
  /** Redis key prefix of this run (its keys are removed afterwards). */
  readonly keyPrefix: string;
}

export function limitsBenchYaml(options: LimitsBenchOptions): string {
  const { limits } = options;
  const routes = `  - path: /api/items/:id
    methods: [GET]
    upstream: api${limits === "none" ? "" : THREE_LIMITS}`;
  const stores = limits === "redis"
    ? `stores:\n  limits: { driver: redis, host: 127.0.0.1, port: ${options.redisPort}, key_prefix: "${options.keyPrefix}", timeout: 1s }`
    : "";
  const quiet = limits === "memory_no_headers" ? "rate_limits:\n  headers: false" : "";
  return benchGatewayYaml(options.upstreamPort, options.logFile, routes, `${stores}\n${quiet}`);
}
