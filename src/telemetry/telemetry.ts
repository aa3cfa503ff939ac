import type { MetricReader } from "@opentelemetry/sdk-metrics";
import type { SpanExporter } from "@opentelemetry/sdk-trace";
import { LitmusError } from "../errors.ts";

export { recordsContent } from "./content.ts";

export interface TelemetryOptions {
  /** Where spans go: "console" (stderr, a line per span), "otlp" (OTEL_EXPORTER_OTLP_* settings), or an exporter. */
  traces: "console" | "otlp" | SpanExporter;
  /** Where metrics go; none unless asked ("otlp", or a reader such as tests' in-memory one). */
  metrics?: "otlp" | MetricReader;
  /** Record prompts, answers and code in spans. Off by default: they may hold what users would not share. */
  recordContent?: boolean;
}

/** Telemetry once started: flush and stop it before the process ends, or spans still buffered are lost. */
export interface Telemetry {
  shutdown(): Promise<void>;
}

/**
 * Starts tracing (and metrics when asked) for this process: spans of model calls (GenAI conventions), sandbox
 * executions, attempts, reviews and learning steps. Until it is started every span is a no-op. The SDK and its
 * exporters are loaded here, on first use: about 0.3 s that commands without tracing never pay.
 */
export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  const { startTelemetrySdk } = await import("./sdk.ts");
  return startTelemetrySdk(options);
}

/**
 * What the environment and `--trace` ask for: `--trace console|otlp` wins; otherwise OTEL_TRACES_EXPORTER
 * (otlp, console, none) or an OTLP endpoint variable turns OTLP on. Null when nothing asks: telemetry stays off.
 */
export function telemetryOptionsFrom(
  env: NodeJS.ProcessEnv,
  flag: string | undefined,
  recordContent = false,
): TelemetryOptions | null {
  const content = recordContent || env.LITMUS_TRACE_CONTENT === "1";
  if (flag === undefined && env.OTEL_SDK_DISABLED === "true") return null;
  // The variable may list exporters ("otlp,console") and name ones litmus lacks (they are other tools' too).
  const listed = (env.OTEL_TRACES_EXPORTER ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  const fromEnv = listed.find((name) => name === "otlp" || name === "console" || name === "none");
  const choice = flag ?? fromEnv ?? (listed.length > 0 ? "none" : undefined);
  if (choice === "none" || choice === "off") return null;
  if (choice === "console") return { traces: "console", recordContent: content };
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (choice === "otlp" || (choice === undefined && endpoint)) {
    const wantsMetrics = env.OTEL_METRICS_EXPORTER === "otlp" || (env.OTEL_METRICS_EXPORTER === undefined && endpoint);
    return { traces: "otlp", ...(wantsMetrics ? { metrics: "otlp" as const } : {}), recordContent: content };
  }
  if (choice !== undefined) {
    throw new LitmusError("BAD_INPUT", `unknown trace exporter "${choice}": use console, otlp or none`);
  }
  return null;
}
