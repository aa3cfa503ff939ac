import { randomBytes } from "node:crypto";
import type { AddressInfo, Socket } from "node:net";
import { serve } from "@hono/node-server";
import type { Hono } from "hono";
import { LitmusError } from "../errors.ts";
import type { BuiltTemplate } from "../sandbox/index.ts";
import type { AppOptions } from "./app.ts";
import type { ClientToken } from "./auth.ts";
import { LOOPBACK_HOSTS } from "./request-guards.ts";

export const DEFAULT_PORT = 7357;

export interface ServeOptions extends Omit<AppOptions, "access"> {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Port of the E2B-compatible code interpreter API (49999 by default, where E2B's SDK looks); null: none. */
  e2bPort?: number | null;
  /**
   * Port of envd's API (files and commands), served by the E2B API's app too: 49983, where the SDKs look in
   * debug mode, when the E2B API has its default port; null: none (the E2B port serves it anyway).
   */
  envdPort?: number | null;
  /** A token every request may carry (the client "default"); generated unless tokens are given. */
  token?: string;
  /** More clients, each with a token of its own and limits of its own (`litmus serve --tokens FILE`). */
  clients?: ClientToken[];
  /** Connections at once and request timeouts of each listening server (default CONNECTION_LIMITS). */
  connectionLimits?: typeof CONNECTION_LIMITS;
  /** The template the E2B API's sandboxes get (`litmus serve` gives code-interpreter); none when absent. */
  e2bTemplate?: BuiltTemplate | null;
}

/** A running server: where it listens, its token, and how to stop it. */
export interface RunningServer {
  url: string;
  /** The E2B-compatible API, when it is served. */
  e2bUrl: string | null;
  envdUrl: string | null;
  token: string | null;
  close(): Promise<void>;
}

/**
 * Serves the web app (and the E2B-compatible API beside it), the way the most trusted local servers do
 * (Jupyter's): the web app and MCP want a token even on loopback (generated unless given, printed in the URL,
 * then kept in a cookie), so neither a web page nor another user of the machine can drive them. E2B's SDKs send
 * no token in debug mode, so on loopback the E2B API serves requests without one, refusing everything a browser
 * sends (another origin, a foreign Host, a body not declared JSON), and tells local users apart by uid, unless
 * the operator chose tokens. Beyond loopback every request needs a token.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const loopback = (LOOPBACK_HOSTS as readonly string[]).includes(host);
  const clients = [...(options.clients ?? [])];
  const token = options.token ?? (clients.length === 0 ? randomBytes(18).toString("base64url") : null);
  if (token !== null) clients.push({ name: "default", token });
  // On loopback, only the names of this machine: a page on another domain rebound to 127.0.0.1 is refused.
  const hosts = loopback ? LOOPBACK_HOSTS : null;
  // The apps are loaded here, not with this module: Hono, highlight.js and the MCP SDK are the server's alone.
  const [
    { createApp },
    { createE2bApp, E2B_PORT, ENVD_PORT },
    { ServerAccess, tokenClient },
    { ClientLimiter, DEFAULT_CLIENT_LIMITS },
  ] = await Promise.all([import("./app.ts"), import("./e2b/e2b-app.ts"), import("./auth.ts"), import("./limits.ts")]);
  const access = new ServerAccess(clients, { anonymous: false });
  const limits = options.limits ?? DEFAULT_CLIENT_LIMITS;
  const overrides = new Map(
    clients.flatMap((client) => (client.limits ? [[tokenClient(client.name), client.limits]] : [])),
  );
  const limiter = new ClientLimiter(limits, overrides);
  const webApp = createApp({ ...options, access, limits, limiter, hosts });
  const web = await listen(webApp.app, host, options.port ?? DEFAULT_PORT, options.connectionLimits);
  const e2bPort = options.e2bPort === undefined ? E2B_PORT : options.e2bPort;
  // Tokens the operator chose (--token, --tokens) are wanted on the E2B API too; a generated one is not.
  const configured = options.token !== undefined || (options.clients?.length ?? 0) > 0;
  const e2bAccess = new ServerAccess(clients, { anonymous: loopback && !configured });
  const e2b =
    e2bPort === null
      ? null
      : createE2bApp({ access: e2bAccess, limits, limiter, hosts, template: options.e2bTemplate ?? null });
  const envdPort = options.envdPort === undefined ? (e2bPort === E2B_PORT ? ENVD_PORT : null) : options.envdPort;
  const servers = [web];
  const listenToo = async (port: number | null) => {
    if (!e2b || port === null) return null;
    const server = await listen(e2b.app, host, port, options.connectionLimits).catch(async (error: unknown) => {
      await Promise.all(servers.map((started) => started.close()));
      await Promise.all([webApp.close(), e2b.close()]);
      throw error;
    });
    servers.push(server);
    return server;
  };
  const e2bServer = await listenToo(e2bPort);
  // envd's own port, so the SDKs' files and commands need no E2B_SANDBOX_URL: the same app, the same sandboxes.
  const envdServer = e2bPort === null ? null : await listenToo(envdPort);
  return {
    url: web.url,
    e2bUrl: e2bServer?.url ?? null,
    envdUrl: envdServer?.url ?? null,
    token,
    async close() {
      await Promise.all(servers.map((server) => server.close()));
      await Promise.all([webApp.close(), e2b?.close()]);
    },
  };
}

/**
 * Connections a server holds at once (beyond, new ones are closed at once), and how long one may take to send
 * its request's headers and whole body: idle half-open connections can no longer pile up until the process
 * runs out of file descriptors (20,000 once did, before any token was checked).
 */
const CONNECTION_LIMITS = { maxConnections: 1024, headersTimeoutMs: 10_000, requestTimeoutMs: 60_000 };

function listen(
  app: Hono,
  host: string,
  port: number,
  limits = CONNECTION_LIMITS,
): Promise<{ url: string; close(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const serverOptions = {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // How often Node looks for requests past those timeouts (its default, 30 s, would let them linger).
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
    };
    const server = serve({ fetch: app.fetch, hostname: host, port, serverOptions }, (info: AddressInfo) => {
      const shown = info.family === "IPv6" ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${shown}:${info.port}/`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Streams still open (a client listening for a run's events) must not hold the process.
            (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
    (server as unknown as { maxConnections: number }).maxConnections = limits.maxConnections;
    // Node's headers timeout counts from a request's first byte: a connection that sends none is dropped here.
    server.on("connection", (socket: Socket) => socket.setTimeout(limits.headersTimeoutMs, () => socket.destroy()));
    server.on("request", (request: { socket: Socket }) => request.socket.setTimeout(0));
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new LitmusError(
          "BAD_INPUT",
          error.code === "EADDRINUSE"
            ? `${host}:${port} is in use: choose another port`
            : `cannot listen on ${host}:${port}: ${error.message}`,
        ),
      ),
    );
  });
}
