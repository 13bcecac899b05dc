/** `stores.controls`: memory by default, Redis with its defaults, and the settings that are config errors. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadIssues, loadOk, MINIMAL, summary } from "../helpers/config-fixtures.ts";

describe("stores.controls", () => {
  it("is memory when not set", () => {
    assert.deepEqual(loadOk(MINIMAL).config.controlsStore, { driver: "memory" });
  });

  it("compiles a Redis store with its defaults, secrets from the environment", () => {
    const { config } = loadOk(`${MINIMAL}stores:\n  controls: { driver: redis, host: 10.0.2.5, password: "\${REDIS_PASSWORD}" }\n`, { REDIS_PASSWORD: "s3cret-password" });
    assert.deepEqual(config.controlsStore, {
      driver: "redis", host: "10.0.2.5", port: 6379, username: undefined, password: "s3cret-password", db: undefined,
      keyPrefix: "rampart:", timeoutMs: 1000, connectTimeoutMs: 1000, readyTimeoutMs: 5000,
    });
  });

  it("refuses Redis settings on a memory store, braces in the prefix, a cluster and bad durations — each at its key", () => {
    assert.deepEqual(summary(loadIssues(`${MINIMAL}stores:\n  controls:\n    host: 10.0.2.5\n`)).map((s) => s.replace(/^\d+:\d+ /, "")), [
      "stores.controls.host: applies to driver: redis only",
    ]);
    const issues = summary(loadIssues(`${MINIMAL}stores:\n  controls: { driver: redis, key_prefix: "a{b}", timeout: soon }\n`)).join("\n");
    assert.match(issues, /stores\.controls\.key_prefix: must not contain \{ or \}/);
    assert.match(issues, /stores\.controls\.timeout: .*not a duration/);
    assert.match(summary(loadIssues(`${MINIMAL}stores:\n  controls: { driver: redis, cluster: [{ host: a, port: 1 }] }\n`)).join("\n"), /stores\.controls/);
  });
});
