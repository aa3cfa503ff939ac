import type { Context, MiddlewareHandler } from "hono";

/** The names a loopback server answers to. */
export const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "::1"] as const;

/** A Host header's or an origin's host name, without port or IPv6 brackets, lower-cased. */
function hostName(hostAndPort: string): string {
  const bracketed = /^\[([^\]]+)\]/.exec(hostAndPort)?.[1];
  return (bracketed ?? hostAndPort.replace(/:\d+$/, "")).toLowerCase();
}

/**
 * Refuses requests whose Host is not one of `hosts` (403): a page on the attacker's own domain that rebinds it
 * to 127.0.0.1 (DNS rebinding) would be same-origin with the server and could read its answers otherwise.
 * `null` allows every host (a server beyond loopback, where every request needs a token anyway).
 */
export function allowedHosts(hosts: readonly string[] | null): MiddlewareHandler {
  const allowed = hosts ? new Set(hosts.map((host) => host.toLowerCase())) : null;
  return async (c, next) => {
    if (allowed && !allowed.has(hostName(c.req.header("host") ?? ""))) {
      return c.text(`litmus serve: unknown host ${JSON.stringify(c.req.header("host") ?? "")}\n`, 403);
    }
    return next();
  };
}

/**
 * Refuses a request from a web page of another origin (403): browsers name the page's origin in `Origin` on
 * every cross-origin request that can change anything. Requests from programs send none.
 */
export function sameOriginOnly(): MiddlewareHandler {
  return async (c, next) => {
    const origin = c.req.header("origin");
    if (origin !== undefined && !sameHost(origin, c.req.header("host") ?? "")) {
      return c.text(`litmus serve: requests from ${origin} are refused (another origin)\n`, 403);
    }
    return next();
  };
}

/**
 * For an API that is for programs only (E2B's SDKs are not browsers): refuses anything a browser sends on a
 * page's behalf (an `Origin` or `Sec-Fetch-Site` header), and JSON calls whose body is not declared JSON (a
 * page can post `text/plain` across origins without asking first).
 */
export function programsOnly(
  jsonPaths: readonly string[],
  options: {
    /** Requests a browser may send all the same: they carry their own proof, checked later (a signed URL). */
    browsersToo?: (c: Context) => boolean;
  } = {},
): MiddlewareHandler {
  return async (c, next) => {
    // Sec-Fetch-Site, not Sec-Fetch-Mode: Node's fetch sends `sec-fetch-mode: cors` itself.
    const fromBrowser = c.req.header("origin") !== undefined || c.req.header("sec-fetch-site") !== undefined;
    if (fromBrowser && !options.browsersToo?.(c)) {
      return c.json({ error: "this API serves programs, not web pages (the request came from a browser)" }, 403);
    }
    const json = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
    if (c.req.method === "POST" && jsonPaths.includes(c.req.path) && json !== "application/json") {
      return c.json({ error: "send the body as application/json" }, 415);
    }
    return next();
  };
}

function sameHost(origin: string, host: string): boolean {
  try {
    return new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}
