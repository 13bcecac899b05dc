/**
 * Keeps one of Node's `process.nextTick` objects alive for the life of the process.
 *
 * Why: Node 24 builds every tick as an object literal with three symbol-keyed (computed)
 * properties. V8 holds the hidden classes of that literal weakly, so a full garbage collection
 * that runs before `nextTick` is optimized (loading and compiling the config runs several)
 * drops them; the next ticks get new ones, the property definitions see several shapes, and the
 * optimized `nextTick` defines them through V8's runtime for the rest of the process: 280 ns per
 * tick instead of 50 in a probe that forces three collections. Node's streams make about ten
 * ticks per proxied request: on the bench:proxy setup at a fixed 12,000 req/s, the gateway
 * took 47.6 µs of CPU per request without this module and 41.0 with it. One live tick object
 * keeps its hidden classes alive, and with them the fast path.
 *
 * It must run before the first full collection, hence a module of its own, imported first by
 * the gateway. Capturing the object needs an async hook for the length of one `nextTick` call.
 */
import { createHook } from "node:async_hooks";

let kept: object | undefined;

function noop(): void {}

const hook = createHook({
  init(_asyncId, type, _triggerAsyncId, resource) {
    if (type === "TickObject" && kept === undefined) kept = resource;
  },
});
hook.enable();
process.nextTick(noop);
hook.disable();

/** Whether a tick object is held (false only if a future Node stops calling its ticks "TickObject"). */
export function tickShapeKept(): boolean {
  return kept !== undefined;
}
