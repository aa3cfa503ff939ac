let contentRecorded = false;

/** Whether spans may carry prompts, answers and code (`--trace-content`, LITMUS_TRACE_CONTENT=1). */
export function recordsContent(): boolean {
  return contentRecorded;
}

/** Set by the SDK when telemetry starts and stops. */
export function setRecordsContent(value: boolean): void {
  contentRecorded = value;
}
