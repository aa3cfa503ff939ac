export { GEN_AI, GEN_AI_METRICS } from "./genai.ts";
export { type ModelCallDescription, type ModelCallOutcome, traceModelCall } from "./model-call.ts";
export { inSpan, tracer } from "./spans.ts";
export {
  recordsContent,
  startTelemetry,
  type Telemetry,
  type TelemetryOptions,
  telemetryOptionsFrom,
} from "./telemetry.ts";
