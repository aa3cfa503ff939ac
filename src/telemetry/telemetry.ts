import { context, metrics, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, type MetricReader, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import {
  BatchSpanProcessor,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import { LitmusError } from "../errors.ts";
import { VERSION } from "../version.ts";

export const SERVICE_VERSION = VERSION;

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

let contentRecorded = false;

/** Whether spans may carry prompts, answers and code (`--trace-content`, LITMUS_TRACE_CONTENT=1). */
export function recordsContent(): boolean {
  return contentRecorded;
}

/**
 * Starts tracing (and metrics when asked) for this process: spans of model calls (GenAI conventions), sandbox
 * executions, attempts, reviews and learning steps. Until it is started every span is a no-op.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: "litmus", [ATTR_SERVICE_VERSION]: SERVICE_VERSION });
  const exporter =
    options.traces === "console"
      ? new StderrSpanExporter()
      : options.traces === "otlp"
        ? new OTLPTraceExporter()
        : options.traces;
  // Console and test exporters see each span as it ends; OTLP batches.
  const processor =
    options.traces === "otlp" ? new BatchSpanProcessor({ exporter }) : new SimpleSpanProcessor({ exporter });
  const tracerProvider = new TracerProvider({ resource, spanProcessors: [processor] });
  const reader =
    options.metrics === "otlp"
      ? new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter() })
      : options.metrics;
  const meterProvider = reader ? new MeterProvider({ resource, readers: [reader] }) : undefined;
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(tracerProvider);
  if (meterProvider) metrics.setGlobalMeterProvider(meterProvider);
  contentRecorded = options.recordContent ?? false;
  return {
    async shutdown() {
      try {
        // Bounded: an exporter retrying an unreachable collector must not hold the process open.
        await withTimeout(Promise.all([tracerProvider.shutdown(), meterProvider?.shutdown()]), SHUTDOWN_TIMEOUT_MS);
      } finally {
        trace.disable();
        metrics.disable();
        context.disable();
        contentRecorded = false;
      }
    },
  };
}

const SHUTDOWN_TIMEOUT_MS = 5_000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the exporters did not finish within ${ms / 1000} s`)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
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

/** A line per span on stderr (stdout stays the command's, `--json` included): name, duration, attributes. */
class StderrSpanExporter implements SpanExporter {
  export(spans: ReadableSpan[], done: (result: { code: number }) => void): void {
    for (const span of spans) {
      const [seconds, nanos] = span.duration;
      const ms = Math.round((seconds * 1e3 + nanos / 1e6) * 10) / 10;
      const parent = span.parentSpanContext?.spanId ? ` parent=${span.parentSpanContext.spanId}` : "";
      process.stderr.write(
        `trace ${span.spanContext().traceId} span=${span.spanContext().spanId}${parent} ${span.name} ${ms} ms ${JSON.stringify(span.attributes)}\n`,
      );
    }
    done({ code: 0 });
  }

  async shutdown(): Promise<void> {}
}
