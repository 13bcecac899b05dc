/**
 * `rampart block` as a child process against a real admin API: add, list, remove with the
 * operator's name as author, the admin address from a config file, clear errors with their
 * exit codes, and a block added on one instance's admin API honored by another through Redis.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { pino } from "pino";
import type { AdminConfig } from "../../src/config/config.ts";
import type { Controls } from "../../src/engine/index.ts";
import { startAdmin, type AdminServer } from "../../src/monitor/admin.ts";
import { createGatewayMetrics } from "../../src/monitor/metrics.ts";
import { createMemoryControls } from "../../src/store/memory/controls.ts";
import { createRedisControls, type RedisControls } from "../../src/store/redis/controls.ts";
import { runRampart, type CliRun } from "../helpers/cli-spawn.ts";

const TOKEN = "ops-token-0123456789abcdef";
const ENV_WITHOUT_TOKEN = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== "RAMPART_ADMIN_TOKEN"));

function adminConfig(): AdminConfig {
  return { enabled: true, address: "127.0.0.1", port: 0, tokens: new Map([[TOKEN, "ops"]]) };
}

async function startAdminWith(controls: Controls): Promise<AdminServer> {
  return startAdmin(adminConfig(), {
    metrics: createGatewayMetrics({ processMetrics: false }),
    readiness: () => ({ ready: true, checks: {} }),
    controls,
    logger: pino({ level: "silent" }),
  });
}

const rampart = (args: readonly string[], env: NodeJS.ProcessEnv = ENV_WITHOUT_TOKEN): Promise<CliRun> => runRampart(args, { env, timeoutMs: 15_000 });

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

describe("rampart block", () => {
  let admin: AdminServer;
  let controls: Controls;
  before(async () => {
    controls = createMemoryControls();
    admin = await startAdminWith(controls);
  });
  after(() => admin.close());

  it("adds, lists and removes a block; the author is the token's operator", async () => {
    const added = await rampart(["block", "add", "ip", "203.0.113.7", "--ttl", "1h", "--reason", "test", "--admin", admin.url, "--token", TOKEN]);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /^blocked ip 203\.0\.113\.7 until \d{4}-\d\d-\d\dT[\d:.]+Z \(author ops\)$/m);
    const block = controls.findBlock({ ip: "203.0.113.7" }, Date.now());
    assert.equal(block?.author, "ops");
    assert.equal(block?.reason, "test");
    assert.ok(block?.expiresAt !== undefined && Math.abs(block.expiresAt - Date.now() - 3_600_000) < 60_000);

    const listed = await rampart(["block", "list", "--admin", admin.url], { ...ENV_WITHOUT_TOKEN, RAMPART_ADMIN_TOKEN: TOKEN });
    assert.equal(listed.code, 0, listed.stderr);
    const [header, row, ...rest] = listed.stdout.trimEnd().split("\n");
    assert.match(header ?? "", /^KIND +VALUE +REASON +AUTHOR +EXPIRES IN$/);
    assert.match(row ?? "", /^ip +203\.0\.113\.7 +test +ops +(59m \d\ds|1h 0m)$/);
    assert.deepEqual(rest, []);

    const removed = await rampart(["block", "remove", "ip", "::ffff:203.0.113.7", "--admin", admin.url, "--token", TOKEN]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /removed the block on ip 203\.0\.113\.7/);
    assert.equal(controls.findBlock({ ip: "203.0.113.7" }, Date.now()), undefined);
    const empty = await rampart(["block", "list", "--admin", admin.url, "--token", TOKEN]);
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal(empty.stdout.trim(), "no active blocks");
  });

  it("finds the admin API through the config file given with -c", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rampart-block-"));
    try {
      const file = join(dir, "rampart.yaml");
      writeFileSync(file, `listeners:
  - port: 8080
upstreams:
  api:
    targets: [http://127.0.0.1:3000]
routes:
  - path: /
    methods: [GET]
    upstream: api
admin:
  address: 0.0.0.0
  port: ${new URL(admin.url).port}
  tokens:
    - { name: ops, token: "\${RAMPART_ADMIN_TOKEN}" }
`);
      const env = { ...ENV_WITHOUT_TOKEN, RAMPART_ADMIN_TOKEN: TOKEN };
      const added = await rampart(["block", "add", "asn", "64500", "-c", file, "--reason", "hosting abuse"], env);
      assert.equal(added.code, 0, added.stderr);
      assert.match(added.stdout, /^blocked asn AS64500 until removed \(author ops\)$/m);
      const listed = await rampart(["block", "list", "-c", file], env);
      assert.match(listed.stdout, /^asn +AS64500 +hosting abuse +ops +never$/m);
      const removed = await rampart(["block", "remove", "asn", "AS64500", "-c", file], env);
      assert.equal(removed.code, 0, removed.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a refused token exits 1 and says so", async () => {
    const run = await rampart(["block", "list", "--admin", admin.url, "--token", "wrong-token-0123456789"]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /the admin token was refused/);
    assert.equal(run.stdout, "");
  });

  it("an admin API that is not there exits 1 and names the URL", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const run = await rampart(["block", "add", "ip", "192.0.2.1", "--admin", url, "--token", TOKEN]);
    assert.equal(run.code, 1, run.stderr);
    assert.ok(run.stderr.includes(`cannot reach the admin API at ${url}/blocks: connection refused`), run.stderr);
  });

  it("bad input exits 2: no token, a bad TTL, a value the gateway refuses, an unknown kind, no config file", async () => {
    const noToken = await rampart(["block", "list", "--admin", admin.url]);
    assert.equal(noToken.code, 2, noToken.stderr);
    assert.match(noToken.stderr, /no admin token: set RAMPART_ADMIN_TOKEN or pass --token/);
    const badTtl = await rampart(["block", "add", "ip", "192.0.2.1", "--ttl", "soon", "--admin", admin.url, "--token", TOKEN]);
    assert.equal(badTtl.code, 2, badTtl.stderr);
    assert.match(badTtl.stderr, /--ttl: "soon" is not a duration/);
    const badValue = await rampart(["block", "add", "ip", "10.1", "--admin", admin.url, "--token", TOKEN]);
    assert.equal(badValue.code, 2, badValue.stderr);
    assert.match(badValue.stderr, /the gateway refused the block: value: "10\.1" is not an IPv4 or IPv6 address/);
    const badKind = await rampart(["block", "add", "user", "bob", "--admin", admin.url, "--token", TOKEN]);
    assert.equal(badKind.code, 2, badKind.stderr);
    assert.match(badKind.stderr, /Allowed choices are ip, prefix, asn, country, key/);
    const noConfig = await rampart(["block", "list", "-c", "/nonexistent/rampart.yaml", "--token", TOKEN]);
    assert.equal(noConfig.code, 2, noConfig.stderr);
    assert.match(noConfig.stderr, /cannot read the config file: no such file[\s\S]*pass --admin URL/);
    assert.deepEqual(controls.listBlocks(Date.now()), []);
  });

  it("a gateway whose shared store is down: exit 1, and the block was not added", async () => {
    const down = createRedisControls({ redis: { port: await closedPort() }, prefix: "unused:", readyTimeoutMs: 100, timeoutMs: 200 });
    const offline = await startAdminWith(down);
    try {
      const run = await rampart(["block", "add", "ip", "192.0.2.1", "--admin", offline.url, "--token", TOKEN]);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /the block was not added: /);
      assert.match(run.stderr, /Redis is not connected/, "the admin API passes on what failed (503 with detail), not a bare 500");
      assert.equal(down.findBlock({ ip: "192.0.2.1" }, Date.now()), undefined);
    } finally {
      await offline.close();
      await down.close();
    }
  });

  it("removing a block that does not exist exits 1", async () => {
    const run = await rampart(["block", "remove", "country", "ZZ", "--admin", admin.url, "--token", TOKEN]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /no block on country ZZ/);
  });
});

describe("rampart block across instances sharing Redis", () => {
  const prefix = `rampart-test-${randomBytes(6).toString("hex")}:`;
  const instances: Array<{ controls: RedisControls; admin: AdminServer }> = [];
  before(async () => {
    for (let i = 0; i < 2; i++) {
      const controls = createRedisControls({ redis: { port: 6379 }, prefix });
      await controls.ready;
      instances.push({ controls, admin: await startAdminWith(controls) });
    }
  });
  after(async () => {
    for (const { controls, admin } of instances) {
      await admin.close();
      await controls.close();
    }
    const redis = new Redis({ port: 6379, maxRetriesPerRequest: 1 });
    await redis.del(...["blocks", "expiry", "age", "audit", "seq"].map((n) => `${prefix}{controls}:${n}`));
    redis.disconnect();
  });

  it("a block added through one instance's admin API is honored by the other within 1 s and listed there", async () => {
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    const added = await rampart(["block", "add", "prefix", "198.51.100.0/24", "--ttl", "15m", "--reason", "scraping", "--admin", a.admin.url, "--token", TOKEN]);
    assert.equal(added.code, 0, added.stderr);
    const started = performance.now();
    while (b.controls.findBlock({ ip: "198.51.100.77" }, Date.now()) === undefined) {
      assert.ok(performance.now() - started < 1000, "not honored by the other instance within 1 s");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const listed = await rampart(["block", "list", "--admin", b.admin.url, "--token", TOKEN]);
    assert.match(listed.stdout, /^prefix +198\.51\.100\.0\/24 +scraping +ops +(14m \d\ds|15m 0s)$/m);
    const [entry] = await b.controls.readAudit(1);
    assert.equal(entry?.author, "ops");
  });
});
