/** Caps on open connections per client address, so one source cannot hold every socket (slow-loris). */
import type { Socket } from "node:net";
import type { CidrSet } from "../net/cidr.ts";
import { peerIpOf } from "./peer-address.ts";

/** Counts open connections per peer address and refuses those over the cap. */
export interface ConnectionGuard {
  /** Call on every new TCP connection; destroys the socket when its address is over the cap. */
  admit(socket: Socket): void;
  /** Open connections from one address (for tests and the admin API). */
  openFrom(ip: string): number;
}

export interface ConnectionGuardSettings {
  readonly maxPerIp: () => number;
  /**
   * Trusted proxies are not capped per address: every client behind a load balancer arrives
   * from its few addresses, so a per-address cap there would cap the whole service. The
   * total cap of the listener still bounds them.
   */
  readonly trusted: () => CidrSet | undefined;
}

export function createConnectionGuard(settings: ConnectionGuardSettings): ConnectionGuard {
  const open = new Map<string, number>();

  function release(ip: string): void {
    const count = (open.get(ip) ?? 1) - 1;
    if (count <= 0) open.delete(ip);
    else open.set(ip, count);
  }

  return {
    admit(socket) {
      const ip = peerIpOf(socket);
      // No address: the socket is already gone.
      if (ip === "") {
        socket.destroy();
        return;
      }
      if (settings.trusted()?.has(ip) === true) return;
      const count = (open.get(ip) ?? 0) + 1;
      if (count > settings.maxPerIp()) {
        // Refused at once, without an answer: writing one would cost what the cap saves.
        socket.destroy();
        return;
      }
      open.set(ip, count);
      socket.once("close", () => release(ip));
    },
    openFrom(ip) {
      return open.get(ip) ?? 0;
    },
  };
}
