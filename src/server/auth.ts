import { createHash, timingSafeEqual } from "node:crypto";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { ClientLimitOverrides } from "./limits.ts";
import { loopbackPeerUid } from "./peer-uid.ts";

const COOKIE = "litmus_token";

/** A client of the server and the token it presents; limits are counted per client, and may be its own. */
export interface ClientToken {
  name: string;
  token: string;
  limits?: ClientLimitOverrides;
}

/** How limits and sessions name the client of a token. */
export function tokenClient(name: string): string {
  return `token:${name}`;
}

/**
 * Who may use the server. Anonymous access (the E2B API on loopback) serves requests without a token, and a
 * client is then the local user connecting; otherwise every request must carry a token (`Authorization: Bearer
 * TOKEN`, or a cookie that opening `/?token=TOKEN` once in the browser sets, so links and downloads work without
 * headers), and a client is the name its token was given. The query string is for opening pages only.
 */
export class ServerAccess {
  readonly tokens: readonly ClientToken[];
  /** Requests without a token are served too (the E2B API on loopback: E2B's SDKs send none). */
  readonly anonymous: boolean;

  /** Each request's client, worked out once (a request asks several times: access, limits, its sandbox). */
  private readonly clientsOf = new WeakMap<Context, string>();
  /** Each token's SHA-256, computed once: a request's token is hashed once and compared with each. */
  private readonly digests: readonly Buffer[];

  constructor(tokens: readonly ClientToken[], options: { anonymous?: boolean } = {}) {
    this.tokens = tokens;
    this.anonymous = options.anonymous ?? tokens.length === 0;
    this.digests = tokens.map((client) => digest(client.token));
  }

  /** Whether a request needs no token. */
  get open(): boolean {
    return this.anonymous;
  }

  /**
   * Refuses, with 401 and what to send, every request without a known token (when tokens are set). A token in
   * the query string counts only for opening a page (GET): it is moved into a cookie and the browser sent back
   * to the same address without it, so it stays out of history, logs and Referer headers; an API call must send
   * it in a header (or the cookie).
   */
  middleware(): MiddlewareHandler {
    return async (c, next) => {
      if (this.open) return next();
      if (this.clientWith(presentedToken(c) ?? "")) return next();
      const fromQuery = c.req.method === "GET" ? this.clientWith(c.req.query("token") ?? "") : undefined;
      if (fromQuery) {
        setCookie(c, COOKIE, fromQuery.token, { httpOnly: true, sameSite: "Strict", path: "/" });
        const url = new URL(c.req.url);
        url.searchParams.delete("token");
        return c.redirect(`${url.pathname}${url.search}`, 303);
      }
      return c.text(
        "litmus serve: a token is required (open /?token=TOKEN, or send Authorization: Bearer TOKEN)\n",
        401,
      );
    };
  }

  /**
   * The client a request comes from: its token's name; without a token, the local user at the other end of
   * the connection (by uid, which Linux tells for loopback connections), never its source address: any of
   * 127.0.0.0/8 reaches a loopback server, and one user must not become many clients by using several.
   */
  clientOf(c: Context): string {
    let client = this.clientsOf.get(c);
    if (client === undefined) {
      const byToken = this.tokens.length > 0 ? this.clientWith(presentedToken(c) ?? "") : undefined;
      const uid = byToken ? null : peerUid(c);
      client = byToken ? tokenClient(byToken.name) : uid === null ? "local" : `user:${uid}`;
      this.clientsOf.set(c, client);
    }
    return client;
  }

  private clientWith(presented: string): ClientToken | undefined {
    // Every token is compared, in constant time each: which one matched must not show in the timing either.
    // Digests are compared, so the comparison is of equal lengths whatever was sent (the raw strings showed
    // the secret's length).
    const presentedDigest = digest(presented);
    let found: ClientToken | undefined;
    this.digests.forEach((tokenDigest, index) => {
      if (timingSafeEqual(presentedDigest, tokenDigest)) found = this.tokens[index];
    });
    return found;
  }
}

/**
 * The token a request carries: its Authorization header, else X-API-KEY (where E2B's SDKs put their API key),
 * else the cookie a page open set.
 */
function presentedToken(c: Context): string | undefined {
  return c.req.header("authorization")?.replace(/^Bearer\s+/i, "") ?? c.req.header("x-api-key") ?? getCookie(c, COOKIE);
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** Each connection's peer uid, looked up once: a keep-alive connection carries many requests. */
const peerUids = new WeakMap<object, number | null>();

/** The uid of the local process that opened the request's connection (cached per connection), or null. */
function peerUid(c: Context): number | null {
  const socket = (c.env as { incoming?: { socket?: { localPort?: number; remotePort?: number } } } | undefined)
    ?.incoming?.socket;
  if (!socket?.localPort || !socket.remotePort) return null;
  let uid = peerUids.get(socket);
  if (uid === undefined) {
    const info = safeConnInfo(c);
    uid = info && isLoopback(info) ? loopbackPeerUid(socket.remotePort, socket.localPort) : null;
    peerUids.set(socket, uid);
  }
  return uid;
}

function safeConnInfo(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

function isLoopback(address: string): boolean {
  return address.startsWith("127.") || address === "::1" || address.startsWith("::ffff:127.");
}
