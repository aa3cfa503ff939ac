import { expect, test } from "vitest";
import { telemetryOptionsFrom } from "../../src/telemetry/index.ts";

test("tracing is off unless asked: --trace, OTEL_TRACES_EXPORTER, or an OTLP endpoint", () => {
  expect(telemetryOptionsFrom({}, undefined)).toBeNull();
  expect(telemetryOptionsFrom({}, "console")).toEqual({ traces: "console", recordContent: false });
  expect(telemetryOptionsFrom({ OTEL_TRACES_EXPORTER: "console" }, undefined, true)).toEqual({
    traces: "console",
    recordContent: true,
  });
  expect(telemetryOptionsFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }, undefined)).toEqual({
    traces: "otlp",
    metrics: "otlp",
    recordContent: false,
  });
  expect(
    telemetryOptionsFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_METRICS_EXPORTER: "none" }, undefined),
  ).toEqual({ traces: "otlp", recordContent: false });
  expect(telemetryOptionsFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }, "none")).toBeNull();
  expect(telemetryOptionsFrom({ LITMUS_TRACE_CONTENT: "1" }, "console")).toEqual({
    traces: "console",
    recordContent: true,
  });
  expect(() => telemetryOptionsFrom({}, "jaeger")).toThrow(
    'unknown trace exporter "jaeger": use console, otlp or none',
  );
  // The environment is shared with other tools: lists work, names litmus lacks turn it off rather than fail.
  expect(telemetryOptionsFrom({ OTEL_TRACES_EXPORTER: "otlp,console" }, undefined)).toMatchObject({ traces: "otlp" });
  expect(telemetryOptionsFrom({ OTEL_TRACES_EXPORTER: "jaeger" }, undefined)).toBeNull();
  expect(
    telemetryOptionsFrom({ OTEL_SDK_DISABLED: "true", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }, undefined),
  ).toBeNull();
});
