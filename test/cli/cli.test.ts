/** The `rampart` command line: help, version, and exit code 2 for every kind of bad usage. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runRampart } from "../helpers/cli-spawn.ts";

describe("rampart command line", () => {
  it("--help lists every command and documents the exit codes", async () => {
    const run = await runRampart(["--help"]);
    assert.equal(run.code, 0, run.stderr);
    for (const command of ["start", "check", "schema", "demo"]) assert.match(run.stdout, new RegExp(`^  ${command}\\b`, "m"));
    assert.match(run.stdout, /Exit codes:\n  0  ok\n  1  runtime failure.*\n  2  bad usage or bad config/);
  });

  for (const command of ["start", "check", "schema", "demo"]) {
    it(`${command} --help works and documents the exit codes`, async () => {
      const run = await runRampart([command, "--help"]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`^Usage: rampart ${command}`));
      assert.match(run.stdout, /Exit codes:/);
      if (command === "start" || command === "check") assert.match(run.stdout, /-c, --config <file>.*\(default: "\.\/rampart\.yaml"\)/);
    });
  }

  it("--version prints the package version", async () => {
    const run = await runRampart(["--version"]);
    assert.equal(run.code, 0);
    assert.match(run.stdout.trim(), /^\d+\.\d+\.\d+/);
  });

  it("an unknown command exits 2 and says so on stderr", async () => {
    const run = await runRampart(["frobnicate"]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown command 'frobnicate'/);
    assert.equal(run.stdout, "");
  });

  it("an unknown option exits 2", async () => {
    const run = await runRampart(["check", "--colour"]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown option '--colour'/);
  });

  it("an invalid port exits 2 before anything starts", async () => {
    const run = await runRampart(["demo", "--port", "70000"]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /port/);
  });

  it("a missing option argument exits 2", async () => {
    const run = await runRampart(["check", "-c"]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /argument missing/);
  });

  it("no command at all is bad usage: help on stderr, exit 2", async () => {
    const run = await runRampart([]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /Usage: rampart/);
  });
});
