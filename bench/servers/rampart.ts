/** Bench: Rampart's gateway started from a config file, as `rampart start` would; prints its ports. */
import { runGatewayFromFile } from "../../src/gateway/run.ts";

const file = process.argv[2];
if (!file) throw new Error("usage: rampart.ts CONFIG");
const result = await runGatewayFromFile(file, { signals: true, watch: false });
if (!result.ok) {
  process.stderr.write(`${result.message}\n`);
  process.exit(result.exitCode);
}
const { gateway } = result.running;
const port = Number(new URL(gateway.listeners[0]?.url ?? "").port);
const adminPort = gateway.adminUrl ? Number(new URL(gateway.adminUrl).port) : undefined;
process.stdout.write(`${JSON.stringify({ port, adminPort })}\n`);
process.exitCode = await result.running.done;
