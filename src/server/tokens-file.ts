import { LitmusError } from "../errors.ts";
import type { ClientToken } from "./auth.ts";

/** Shorter tokens are refused: a token is all that stands between the network and running code. */
const MIN_TOKEN_CHARS = 16;

/**
 * The clients of a tokens file (`litmus serve --tokens FILE`): a line per client, `NAME TOKEN`; blank lines and
 * lines starting with # are skipped. Names and tokens must be unique.
 */
export function parseTokensFile(text: string, path: string): ClientToken[] {
  const clients: ClientToken[] = [];
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const where = `${path}:${index + 1}`;
    const [name, token, ...rest] = line.split(/\s+/);
    if (!name || !token || rest.length > 0) {
      throw new LitmusError("BAD_INPUT", `${where}: expected "NAME TOKEN" (a client's name, then its token)`);
    }
    if (token.length < MIN_TOKEN_CHARS) {
      throw new LitmusError(
        "BAD_INPUT",
        `${where}: the token of ${name} is ${token.length} characters; use at least ${MIN_TOKEN_CHARS} (openssl rand -base64 24)`,
      );
    }
    if (clients.some((client) => client.name === name))
      throw new LitmusError("BAD_INPUT", `${where}: ${name} is named twice`);
    if (clients.some((client) => client.token === token))
      throw new LitmusError("BAD_INPUT", `${where}: ${name} has the token of another client`);
    clients.push({ name, token });
  }
  if (clients.length === 0)
    throw new LitmusError("BAD_INPUT", `${path} names no clients; write a line "NAME TOKEN" per client`);
  return clients;
}
