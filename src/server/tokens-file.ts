import { LitmusError } from "../errors.ts";
import { readInputFile } from "../read-input.ts";
import type { ClientToken } from "./auth.ts";
import type { ClientLimitOverrides } from "./limits.ts";

/** Shorter tokens are refused: a token is all that stands between the network and running code. */
const MIN_TOKEN_CHARS = 16;

/** The limits a line may set for its client, by the name they are written with. */
const LIMIT_KEYS = {
  concurrent: "concurrent",
  "per-minute": "perMinute",
  sessions: "sessions",
  contexts: "contexts",
  sandboxes: "sandboxes",
} as const satisfies Record<string, keyof ClientLimitOverrides>;

/**
 * The clients of a tokens file (`litmus serve --tokens FILE`): a line per client, `NAME TOKEN`, then any of
 * `concurrent=N per-minute=N sessions=N contexts=N sandboxes=N` to give that client limits of its own; blank lines and
 * lines starting with # are skipped. Names and tokens must be unique.
 */
export function parseTokensFile(text: string, path: string): ClientToken[] {
  const clients: ClientToken[] = [];
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const where = `${path}:${index + 1}`;
    const [name, token, ...settings] = line.split(/\s+/);
    if (!name || !token || token.includes("=")) {
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
    const limits = limitsOf(settings, where);
    clients.push({ name, token, ...(limits ? { limits } : {}) });
  }
  if (clients.length === 0)
    throw new LitmusError("BAD_INPUT", `${path} names no clients; write a line "NAME TOKEN" per client`);
  return clients;
}

/** `key=N` settings of a line as limits, or undefined when it sets none. */
function limitsOf(settings: string[], where: string): ClientLimitOverrides | undefined {
  if (settings.length === 0) return undefined;
  const limits: ClientLimitOverrides = {};
  for (const setting of settings) {
    const [key, value] = setting.split("=");
    const field = LIMIT_KEYS[key as keyof typeof LIMIT_KEYS];
    if (!field || value === undefined) {
      throw new LitmusError(
        "BAD_INPUT",
        `${where}: "${setting}" is not a limit; use ${Object.keys(LIMIT_KEYS)
          .map((name) => `${name}=N`)
          .join(", ")}`,
      );
    }
    const number = Number(value);
    if (!Number.isInteger(number) || number < 1) {
      throw new LitmusError("BAD_INPUT", `${where}: ${key} must be a whole number of at least 1, not "${value}"`);
    }
    limits[field] = number;
  }
  return limits;
}

/** The clients of the tokens file at `path`; BAD_INPUT, saying why, when it cannot be read or is wrong. */
export async function readTokensFile(path: string): Promise<ClientToken[]> {
  return parseTokensFile(await readInputFile(path, "tokens"), path);
}
