/**
 * Graceful stop: stop accepting, close idle keep-alive connections, let requests in flight
 * finish until the deadline, then cut whatever is left.
 */
import type { Server } from "node:http";

/** How often idle connections are swept while draining (a request that just ended leaves one). */
const SWEEP_INTERVAL_MS = 50;

/**
 * Drains the servers. Resolves once every connection is closed; `true` when that happened
 * within the deadline, `false` when connections had to be cut.
 */
export function drainServers(servers: readonly Server[], deadlineMs: number): Promise<boolean> {
  const closed = servers.map(
    (server) =>
      new Promise<void>((resolve) => {
        if (!server.listening) {
          resolve();
          return;
        }
        // close() stops accepting; its callback runs when the last connection has ended.
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  );
  return new Promise((resolve) => {
    let inTime = true;
    const sweep = setInterval(() => {
      for (const server of servers) server.closeIdleConnections();
    }, SWEEP_INTERVAL_MS);
    const deadline = setTimeout(() => {
      inTime = false;
      for (const server of servers) server.closeAllConnections();
    }, deadlineMs);
    void Promise.all(closed).then(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      resolve(inTime);
    });
  });
}
