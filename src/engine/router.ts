/**
 * Route matching: `/users/:id`, `/files/*` (the rest of the path, as param `*`), exact
 * segments otherwise. Compiled once into a segment trie; a lookup walks the path once and
 * prefers, at each segment, an exact match over a parameter over a wildcard, so the most
 * specific route wins whatever the declaration order. Written here rather than borrowed:
 * routers of web frameworks match on method first, and Rampart must know the route before
 * it knows whether the method is allowed (405 with `Allow`, CORS preflights).
 */

/** What the engine knows of every route; layers keep their own per-route settings by `id`. */
export interface Route {
  readonly id: string;
  readonly pattern: string;
  /** Upper-case methods the route accepts (`HEAD` implied by `GET`). */
  readonly methods: readonly string[];
  /** What a layer that throws means for this route: pass (`open`) or 503 (`closed`). */
  readonly onError: "open" | "closed";
}

export interface RouteMatch {
  readonly route: Route;
  readonly params: Readonly<Record<string, string>>;
}

interface Node {
  readonly exact: Map<string, Node>;
  param: { readonly name: string; readonly node: Node } | undefined;
  wildcard: Route | undefined;
  route: Route | undefined;
}

const newNode = (): Node => ({ exact: new Map(), param: undefined, wildcard: undefined, route: undefined });

export class RouteConflictError extends Error {
  override readonly name = "RouteConflictError";
}

export interface Router {
  match(path: string): RouteMatch | undefined;
}

/** Builds a router; throws RouteConflictError when two routes have the same shape. */
export function createRouter(routes: readonly Route[]): Router {
  const root = newNode();
  for (const route of routes) insert(root, route);
  const staticRoutes = new Map<string, RouteMatch>();
  for (const route of routes) {
    if (!route.pattern.includes(":") && !route.pattern.includes("*")) {
      staticRoutes.set(trimSlash(route.pattern), Object.freeze({ route, params: EMPTY }));
    }
  }
  return {
    match(path) {
      const key = trimSlash(path);
      // Most API traffic hits a few static paths: one map lookup, no allocation.
      const hit = staticRoutes.get(key);
      if (hit !== undefined) return hit;
      const segments = key === "" ? [] : key.slice(1).split("/");
      const params: Record<string, string> = {};
      const route = walk(root, segments, 0, params);
      return route === undefined ? undefined : { route, params };
    },
  };
}

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path === "/" ? "" : path;
}

function insert(root: Node, route: Route): void {
  const segments = trimSlash(route.pattern).split("/").slice(1);
  let node = root;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    if (segment === "*") {
      if (i !== segments.length - 1) throw new RouteConflictError(`${route.pattern}: "*" must be the last segment`);
      if (node.wildcard) throw conflict(route, node.wildcard);
      node.wildcard = route;
      return;
    }
    if (segment.startsWith(":")) {
      const name = segment.slice(1);
      if (node.param && node.param.name !== name) {
        throw new RouteConflictError(`${route.pattern}: parameter ":${name}" conflicts with ":${node.param.name}" at the same position`);
      }
      node.param ??= { name, node: newNode() };
      node = node.param.node;
      continue;
    }
    let next = node.exact.get(segment);
    if (!next) node.exact.set(segment, (next = newNode()));
    node = next;
  }
  if (node.route) throw conflict(route, node.route);
  node.route = route;
}

function conflict(route: Route, existing: Route): RouteConflictError {
  return new RouteConflictError(`${route.pattern}: same path shape as route "${existing.id}" (${existing.pattern})`);
}

function walk(node: Node, segments: string[], i: number, params: Record<string, string>): Route | undefined {
  if (i === segments.length) return node.route ?? node.wildcard;
  const segment = segments[i] as string;
  const exact = node.exact.get(segment);
  if (exact) {
    const found = walk(exact, segments, i + 1, params);
    if (found) return found;
  }
  if (node.param && segment !== "") {
    const found = walk(node.param.node, segments, i + 1, params);
    if (found) {
      params[node.param.name] = safeDecode(segment);
      return found;
    }
  }
  if (node.wildcard) {
    params["*"] = segments.slice(i).join("/");
    return node.wildcard;
  }
  return undefined;
}

function safeDecode(segment: string): string {
  // Nothing to decode without a `%` (the usual id or slug): skip the call and its try.
  if (!segment.includes("%")) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
