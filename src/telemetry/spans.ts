import { type Attributes, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { messageOf } from "../errors.ts";
import { VERSION } from "../version.ts";
import { ERROR_TYPE } from "./genai.ts";

/** litmus's tracer: a no-op until startTelemetry registers a provider. */
export function tracer() {
  return trace.getTracer("litmus", VERSION);
}

/**
 * Runs `work` in a span that is the active one for everything it calls (so a model call inside an attempt is
 * its child). A thrown error marks the span as failed with its type, and is thrown on.
 */
export async function inSpan<T>(
  name: string,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
  kind: SpanKind = SpanKind.INTERNAL,
): Promise<T> {
  return tracer().startActiveSpan(name, { attributes, kind }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(error) });
      span.setAttribute(ERROR_TYPE, errorType(error));
      throw error;
    } finally {
      span.end();
    }
  });
}

function errorType(error: unknown): string {
  if (error && typeof error === "object" && "code" in error && typeof error.code === "string") return error.code;
  return error instanceof Error ? error.name : "Error";
}
