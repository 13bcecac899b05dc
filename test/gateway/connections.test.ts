/** Client-side defences over real sockets: the header timeout cuts slow clients, per-address caps refuse floods. */
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { basicYaml, eventually, startTestGateway, type TestGateway } from "../helpers/server-gateway.ts";
import { openSocket, readUntilClose } from "../helpers/server-raw.ts";

const ROUTES = `
  - id: items
    path: /items
    methods: [GET]
    upstream: api
`;

function listenerWith(settings: string): (upstream: string) => string {
  return (upstream) => basicYaml(upstream, ROUTES).replace("    port: 0\n", `    port: 0\n${settings}`);
}

describe("gateway: slow-loris", () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway(listenerWith("    timeouts:\n      headers: 2s\n      request: 10s\n"));
  });
  after(() => t.close());

  it("cuts a client that sends its headers one byte per second at the header timeout", async () => {
    const socket = await openSocket(t.url);
    const answer = readUntilClose(socket, 6000);
    const head = "GET /items HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    let i = 0;
    const drip = setInterval(() => {
      if (i < head.length && !socket.destroyed) socket.write(head[i++] as string);
    }, 1000);
    try {
      const result = await answer;
      assert.ok(result.closed, "the gateway closed the connection");
      assert.ok(result.elapsedMs >= 1500, `not before the header timeout (${result.elapsedMs} ms)`);
      assert.ok(result.elapsedMs <= 4000, `within timeout + 2 s (${result.elapsedMs} ms)`);
      if (result.status !== 0) assert.equal(result.status, 408);
    } finally {
      clearInterval(drip);
    }
    assert.equal(t.upstream.seen.length, 0);
  });
});

describe("gateway: connection caps", () => {
  let t: TestGateway;
  const sockets: Socket[] = [];
  before(async () => {
    t = await startTestGateway(listenerWith("    max_connections_per_ip: 3\n"));
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await t.close();
  });

  it("refuses connections over the per-address cap while another address is served", async () => {
    for (let i = 0; i < 3; i++) sockets.push(await openSocket(t.url, "127.0.0.1"));
    // Give the server time to see the three connections.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const over = await openSocket(t.url, "127.0.0.1");
    sockets.push(over);
    const refused = readUntilClose(over, 2000);
    over.write("GET /items HTTP/1.1\r\nHost: x\r\n\r\n");
    const result = await refused;
    assert.ok(result.closed, "the fourth connection from 127.0.0.1 was closed");
    assert.equal(result.status, 0, "without an answer");

    // Another source address is still served.
    const other = await openSocket(t.url, "127.0.0.2");
    sockets.push(other);
    const served = readUntilClose(other, 3000);
    other.write("GET /items HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.equal((await served).status, 200);

    // The capped connections themselves keep being served.
    const first = sockets[0] as Socket;
    const answer = readUntilClose(first, 3000);
    first.write("GET /items HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.equal((await answer).status, 200);

    // Once one closes, the address may connect again.
    await eventually(() => first.destroyed);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const again = await openSocket(t.url, "127.0.0.1");
    sockets.push(again);
    const ok = readUntilClose(again, 3000);
    again.write("GET /items HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.equal((await ok).status, 200);
  });
});
