/** The canonical address of a connection's peer, computed once per connection (not per request). */
import type { Socket } from "node:net";
import { normalizeIp } from "../engine/client-ip.ts";

const PEER_IP = Symbol("rampart.peerIp");

type WithPeer = Socket & { [PEER_IP]?: string };

/** `::ffff:10.0.0.1` → `10.0.0.1`, cached on the socket; "" when the socket has no address any more. */
export function peerIpOf(socket: Socket): string {
  const cached = (socket as WithPeer)[PEER_IP];
  if (cached !== undefined) return cached;
  const remote = socket.remoteAddress;
  if (remote === undefined) return "";
  const ip = normalizeIp(remote);
  (socket as WithPeer)[PEER_IP] = ip;
  return ip;
}
