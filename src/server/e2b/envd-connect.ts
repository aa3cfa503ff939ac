import type { Context as HonoContext } from "hono";
import type { z } from "zod";
import { isLitmusError, messageOf } from "../../errors.ts";

/*
 * Connect, envd's RPC protocol, in its JSON form (what E2B's SDKs send): unary calls are plain JSON POSTs;
 * server-streaming calls send and answer enveloped messages.
 */

/** A Connect error: its code names the HTTP status it travels with. */
const CONNECT_STATUS = {
  invalid_argument: 400,
  not_found: 404,
  already_exists: 409,
  resource_exhausted: 429,
  internal: 500,
} as const;
export type ConnectCode = keyof typeof CONNECT_STATUS;

/** Flags of a Connect streaming envelope: a message, or the end of the stream (with an error, maybe). */
export const MESSAGE = 0;
export const END_STREAM = 2;

export async function unary<T>(
  c: HonoContext,
  schema: z.ZodType<T>,
  work: (body: T) => Promise<Record<string, unknown>>,
): Promise<Response> {
  const body = schema.safeParse(await c.req.json().catch(() => null));
  if (!body.success) return c.json({ code: "invalid_argument", message: body.error.message }, 400);
  try {
    return c.json(await work(body.data));
  } catch (error) {
    const code = connectCodeOf(error);
    return c.json({ code, message: messageOf(error) }, CONNECT_STATUS[code]);
  }
}

export function connectCodeOf(error: unknown): ConnectCode {
  if (error instanceof ConnectFailure) return error.code;
  if (isLitmusError(error, "NOT_FOUND")) return "not_found";
  return isLitmusError(error, "BAD_INPUT") ? "invalid_argument" : "internal";
}

class ConnectFailure extends Error {
  readonly code: ConnectCode;
  constructor(code: ConnectCode, message: string) {
    super(message);
    this.code = code;
  }
}

export function connectError(code: ConnectCode, message: string): ConnectFailure {
  return new ConnectFailure(code, message);
}

/** A Connect streaming envelope: a flags byte, the length (4 bytes, big-endian), then the JSON. */
export function envelope(flags: number, message: unknown): Uint8Array {
  const json = Buffer.from(JSON.stringify(message));
  const framed = Buffer.alloc(5 + json.length);
  framed.writeUInt8(flags, 0);
  framed.writeUInt32BE(json.length, 1);
  json.copy(framed, 5);
  return framed;
}

/** The first message of an enveloped request body (a server-streaming call sends exactly one). */
export function firstEnvelope(body: Uint8Array): unknown {
  if (body.length < 5) return null;
  const length = Buffer.from(body.buffer, body.byteOffset, body.byteLength).readUInt32BE(1);
  try {
    return JSON.parse(Buffer.from(body.subarray(5, 5 + length)).toString("utf8"));
  } catch {
    return null;
  }
}
