import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { afterAll, describe, expect, test } from "vitest";
import { serverForSuite } from "../helpers/server.ts";

/** Opens a TCP connection and sends nothing: the half-open client that exhausted the server's descriptors. */
async function idleConnection(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await once(socket, "connect");
  return socket;
}

/** Whether the server closed the connection within `ms`. */
async function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed || socket.readableEnded) return true;
  const closed = once(socket, "close").then(() => true);
  return Promise.race([closed, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);
}

/**
 * About 20,000 idle connections that never send a request exhausted the server's file descriptors before any
 * token check. Now a server holds a bounded number at once and drops one that is slow to send its headers.
 */
describe("connections to litmus serve", () => {
  const suite = serverForSuite({
    connectionLimits: { maxConnections: 4, headersTimeoutMs: 1_000, requestTimeoutMs: 5_000 },
  });
  const sockets: Socket[] = [];
  afterAll(() => {
    for (const socket of sockets) socket.destroy();
  });

  test("beyond the cap a connection is closed at once; an idle one is dropped after the headers timeout", async () => {
    for (let n = 0; n < 4; n++) sockets.push(await idleConnection(suite.server.url));
    const fifth = await idleConnection(suite.server.url);
    sockets.push(fifth);
    expect(await closedWithin(fifth, 500), "the fifth connection, over the cap").toBe(true);
    expect(await closedWithin(sockets[0] as Socket, 4_000), "an idle connection, after the headers timeout").toBe(true);
    // Once the idle ones are gone, a real request is served.
    for (const socket of sockets) await closedWithin(socket, 4_000);
    expect((await fetch(`${suite.server.url}?token=${suite.server.token}`, { redirect: "manual" })).status).toBe(303);
  });
});
