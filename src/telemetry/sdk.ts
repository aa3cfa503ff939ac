import { context, metrics, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import {
  BatchSpanProcessor,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import { withTimeout } from "../concurrency.ts";
import { VERSION } from "../version.ts";
import { setRecordsContent } from "./content.ts";
import type { Telemetry, TelemetryOptions } from "./telemetry.ts";

/** The OpenTelemetry SDK set up for this process (see startTelemetry, which loads this module on first use). */
export function startTelemetrySdk(options: TelemetryOptions): Telemetry {
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: "litmus", [ATTR_SERVICE_VERSION]: VERSION });
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
  setRecordsContent(options.recordContent ?? false);
  return {
    async shutdown() {
      try {
        // Bounded: an exporter retrying an unreachable collector must not hold the process open.
        await withTimeout(
          Promise.all([tracerProvider.shutdown(), meterProvider?.shutdown()]),
          SHUTDOWN_TIMEOUT_MS,
          `the exporters did not finish within ${SHUTDOWN_TIMEOUT_MS / 1000} s`,
        );
      } finally {
        trace.disable();
        metrics.disable();
        context.disable();
        setRecordsContent(false);
      }
    },
  };
}

const SHUTDOWN_TIMEOUT_MS = 5_000;

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
