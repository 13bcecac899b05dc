/** The demo API's route table: a path pattern with `:params`, and a handler per method. */
import type { IncomingMessage, ServerResponse } from "node:http";

export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
}

export type Handler = (ctx: RequestContext) => void | Promise<void>;

export interface DemoRoute {
  readonly pattern: string;
  readonly methods: Readonly<Record<string, Handler>>;
}

interface CompiledRoute {
  readonly segments: readonly string[];
  readonly methods: Readonly<Record<string, Handler>>;
  readonly allow: string;
}

export type Lookup =
  | { readonly kind: "found"; readonly handler: Handler; readonly params: Record<string, string> }
  | { readonly kind: "method"; readonly allow: string }
  | { readonly kind: "none" };

/** Compiles the table once; `lookup` then matches a path and a method. */
export function createDemoRouter(routes: readonly DemoRoute[]): (method: string, path: string) => Lookup {
  const compiled: CompiledRoute[] = routes.map((route) => ({
    segments: route.pattern.split("/").slice(1),
    methods: route.methods,
    allow: Object.keys(route.methods).join(", "),
  }));
  return (method, path) => {
    const segments = path.split("/").slice(1);
    for (const route of compiled) {
      const params = matchSegments(route.segments, segments);
      if (params === undefined) continue;
      const handler = route.methods[method];
      return handler === undefined ? { kind: "method", allow: route.allow } : { kind: "found", handler, params };
    }
    return { kind: "none" };
  };
}

function matchSegments(pattern: readonly string[], path: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i] as string;
    const actual = path[i] as string;
    if (expected.startsWith(":")) {
      if (actual === "") return undefined;
      params[expected.slice(1)] = decodeURIComponent(actual);
    } else if (expected !== actual) {
      return undefined;
    }
  }
  return params;
}
