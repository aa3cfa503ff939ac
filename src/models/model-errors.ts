import { APICallError } from "@ai-sdk/provider";
import { isLitmusError, LitmusError, messageOf } from "../errors.ts";
import { API_KEY_VARIABLES } from "./api-keys.ts";
import { DEFAULT_PRICES } from "./prices.ts";

/**
 * A failed model call as a LitmusError that says what to do. Provider errors keep their status and the
 * provider's own message (never the request, which may carry a key).
 */
export function modelCallError(error: unknown, context: { spec: string; retries: number }): LitmusError {
  if (isLitmusError(error)) return error;
  const { spec, retries } = context;
  const provider = spec.split(":")[0] ?? spec;
  if (!APICallError.isInstance(error)) {
    // Not an HTTP failure: a bug or a broken model file on our side, said as it is.
    const reason = messageOf(error);
    return new LitmusError("INTERNAL", `${spec} failed: ${reason}`, { cause: error });
  }
  const status = error.statusCode;
  const said = providerMessage(error);
  const afterRetries = retries > 0 ? ` after ${retries} ${retries === 1 ? "retry" : "retries"}` : "";
  if (status === undefined) {
    const reason =
      error.cause instanceof Error
        ? error.cause.cause instanceof Error
          ? error.cause.cause.message
          : error.cause.message
        : said;
    return new LitmusError("MODEL_UNAVAILABLE", `cannot reach ${spec} at ${error.url}${afterRetries}: ${reason}`, {
      cause: error,
    });
  }
  if (status === 401 || status === 403) {
    const variable = API_KEY_VARIABLES[provider as keyof typeof API_KEY_VARIABLES] ?? "the API key";
    return new LitmusError(
      "MODEL_UNAVAILABLE",
      `${provider} rejected the API key (HTTP ${status}: ${said}): check ${variable}`,
      {
        cause: error,
      },
    );
  }
  if (status === 404) {
    const known = Object.keys(DEFAULT_PRICES).filter((key) => key.startsWith(`${provider}:`));
    const list = known.length > 0 ? ` Known ${provider} models: ${known.join(", ")}.` : "";
    return new LitmusError("MODEL_UNAVAILABLE", `${provider} does not serve "${spec}" (HTTP 404: ${said}).${list}`, {
      cause: error,
    });
  }
  if (status === 429) {
    return new LitmusError(
      "MODEL_UNAVAILABLE",
      `${spec} is rate limited${afterRetries} (HTTP 429: ${said}); wait and try again`,
      {
        cause: error,
      },
    );
  }
  return new LitmusError("MODEL_UNAVAILABLE", `${spec} failed${afterRetries} (HTTP ${status ?? "error"}: ${said})`, {
    cause: error,
  });
}

/** The provider's own error message from the body when it has one (`{"error":{"message":...}}` and kin). */
function providerMessage(error: APICallError): string {
  const body = error.responseBody;
  if (body) {
    try {
      const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
      const message = typeof parsed.error === "string" ? parsed.error : (parsed.error?.message ?? parsed.message);
      if (typeof message === "string" && message) return message;
    } catch {
      // Not JSON: fall through to the SDK's own message.
    }
  }
  return error.message;
}
