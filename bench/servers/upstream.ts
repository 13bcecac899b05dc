/** Bench upstream: a node:http server answering a small JSON body, as a typical API would. */
import { createServer } from "node:http";

const body = JSON.stringify({ id: 42, name: "widget", price: 9.99, tags: ["a", "b", "c"] });
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (address && typeof address === "object") process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
