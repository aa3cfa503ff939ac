import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Hono } from "hono";
import { LitmusError } from "../errors.ts";
import type { AppOptions } from "./app.ts";

export const DEFAULT_PORT = 7357;

export interface ServeOptions extends Omit<AppOptions, "token"> {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Port of the E2B-compatible code interpreter API (49999 by default, where E2B's SDK looks); null: none. */
  e2bPort?: number | null;
  /** Required when the host is not loopback; generated then when not given. */
  token?: string;
}

/** A running server: where it listens, its token, and how to stop it. */
export interface RunningServer {
  url: string;
  /** The E2B-compatible API, when it is served. */
  e2bUrl: string | null;
  token: string | null;
  close(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/**
 * Serves the web app (and the E2B-compatible API beside it). On loopback (the default) no token is needed;
 * bound anywhere else, every request must carry one: a machine's other users, or its network, must not
 * approve or run code.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const token = options.token ?? (LOOPBACK.has(host) ? null : randomBytes(18).toString("base64url"));
  // The apps are loaded here, not with this module: Hono, highlight.js and the MCP SDK are the server's alone.
  const [{ createApp }, { createE2bApp, E2B_PORT }] = await Promise.all([
    import("./app.ts"),
    import("./e2b/e2b-app.ts"),
  ]);
  const web = await listen(createApp({ ...options, token }), host, options.port ?? DEFAULT_PORT);
  const e2bPort = options.e2bPort === undefined ? E2B_PORT : options.e2bPort;
  const e2b = e2bPort === null ? null : createE2bApp({ token });
  const e2bServer =
    e2b && e2bPort !== null
      ? await listen(e2b.app, host, e2bPort).catch(async (error: unknown) => {
          await web.close();
          throw error;
        })
      : null;
  return {
    url: web.url,
    e2bUrl: e2bServer?.url ?? null,
    token,
    async close() {
      await Promise.all([web.close(), e2bServer?.close()]);
      await e2b?.close();
    },
  };
}

function listen(app: Hono, host: string, port: number): Promise<{ url: string; close(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info: AddressInfo) => {
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
