import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { LitmusError } from "../errors.ts";
import { type AppOptions, createApp } from "./app.ts";

export const DEFAULT_PORT = 7357;

export interface ServeOptions extends Omit<AppOptions, "token"> {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Required when the host is not loopback; generated then when not given. */
  token?: string;
}

/** A running server: where it listens, its token, and how to stop it. */
export interface RunningServer {
  url: string;
  token: string | null;
  close(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/**
 * Serves the web app. On loopback (the default, 127.0.0.1:7357) no token is needed; bound anywhere else, every
 * request must carry one: a machine's other users, or its network, must not approve code to run.
 */
export function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const token = options.token ?? (LOOPBACK.has(host) ? null : randomBytes(18).toString("base64url"));
  const app = createApp({ ...options, token });
  return new Promise((resolve, reject) => {
    const server = serve(
      { fetch: app.fetch, hostname: host, port: options.port ?? DEFAULT_PORT },
      (info: AddressInfo) => {
        const shown = info.family === "IPv6" ? `[${info.address}]` : info.address;
        resolve({
          url: `http://${shown}:${info.port}/`,
          token,
          close: () => new Promise<void>((done) => server.close(() => done())),
        });
      },
    );
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new LitmusError(
          "BAD_INPUT",
          error.code === "EADDRINUSE"
            ? `${host}:${options.port ?? DEFAULT_PORT} is in use: choose another with --port`
            : `cannot listen on ${host}:${options.port ?? DEFAULT_PORT}: ${error.message}`,
        ),
      ),
    );
  });
}
