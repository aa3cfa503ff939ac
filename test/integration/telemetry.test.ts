import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AggregationTemporality,
  type HistogramMetricData,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { afterEach, describe, expect, test } from "vitest";
import { Learner } from "../../src/learn/index.ts";
import { parseTask, solve } from "../../src/loop/index.ts";
import { decide, execute, startReview } from "../../src/review/index.ts";
import { RunStore } from "../../src/store/index.ts";
import { startTelemetry, type Telemetry } from "../../src/telemetry/index.ts";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";
import { scripted } from "../helpers/scripted-model.ts";

const unavailable = sandboxUnavailableReason();
const ANSWER = "```python\ndef add(a, b):\n    return a + b\n```";

let telemetry: Telemetry | undefined;
afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
});

/** Telemetry into memory: the spans as they end, the metrics when read. */
async function inMemory(recordContent = false) {
  const spans = new InMemorySpanExporter();
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  telemetry = await startTelemetry({ traces: spans, metrics: reader, recordContent });
  return { spans, metricExporter, reader };
}

/** Each span's name, indented under its parent, in the order they started. */
function tree(spans: ReadableSpan[]): string[] {
  const byParent = new Map<string | undefined, ReadableSpan[]>();
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId;
    byParent.set(parent, [...(byParent.get(parent) ?? []), span]);
  }
  const ids = new Set(spans.map((span) => span.spanContext().spanId));
  const lines: string[] = [];
  const walk = (span: ReadableSpan, depth: number): void => {
    lines.push(`${"  ".repeat(depth)}${span.name}`);
    const children = (byParent.get(span.spanContext().spanId) ?? []).sort((a, b) =>
      compareTime(a.startTime, b.startTime),
    );
    for (const child of children) walk(child, depth + 1);
  };
  for (const root of spans.filter((span) => !ids.has(span.parentSpanContext?.spanId ?? ""))) walk(root, 0);
  return lines;
}

function compareTime(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

async function addTask() {
  return parseTask(
    { id: "add", prompt: "Write add(a, b) that returns the sum.", tests: { asserts: ["assert add(2, 3) == 5"] } },
    { source: "the test" },
  );
}

describe.skipIf(unavailable)(`tracing (${unavailable ?? "real sandboxes"})`, { timeout: 60_000 }, () => {
  test("a solve: spans for the run, each attempt, the model call (GenAI conventions) and each sandbox execution", async () => {
    const { spans, metricExporter, reader } = await inMemory();
    const { model } = scripted(["no code here", ANSWER]);
    const outcome = await solve(await addTask(), { model, maxAttempts: 2 });
    expect(outcome.success).toBe(true);
    const finished = spans.getFinishedSpans();
    expect(tree(finished)).toEqual([
      "litmus.solve",
      "  litmus.attempt",
      "    chat scripted",
      "  litmus.attempt",
      "    chat scripted",
      "    sandbox.run_code",
      "    sandbox.run_code",
    ]);
    const call = finished.find((span) => span.name === "chat scripted");
    expect(call?.attributes).toEqual({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "scripted",
      "gen_ai.request.model": "scripted",
      "gen_ai.request.max_tokens": 512,
      "gen_ai.request.temperature": 0,
      "gen_ai.request.seed": 1,
      "gen_ai.usage.input_tokens": 10,
      "gen_ai.usage.output_tokens": 5,
      "gen_ai.response.finish_reasons": ["stop"],
      "litmus.cache.hit": false,
    });
    expect(call?.kind).toBe(2); // SpanKind.CLIENT
    const attempts = finished.filter((span) => span.name === "litmus.attempt").map((span) => span.attributes);
    expect(attempts).toEqual([
      { "litmus.attempt.n": 1, "litmus.diagnosis.kind": "no_code" },
      { "litmus.attempt.n": 2, "litmus.diagnosis.kind": "ok" },
    ]);
    const run = finished.find((span) => span.name === "sandbox.run_code");
    expect(run?.attributes).toMatchObject({ "litmus.code.language": "python", "litmus.execution.exit_code": 0 });
    expect(run?.attributes).not.toHaveProperty("litmus.code.source");

    await reader.forceFlush();
    const metrics = metricExporter
      .getMetrics()
      .flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics));
    const usage = metrics.find(
      (metric) => metric.descriptor.name === "gen_ai.client.token.usage",
    ) as HistogramMetricData;
    const sums = Object.fromEntries(
      usage.dataPoints.map((point) => [
        String(point.attributes["gen_ai.token.type"]),
        [point.value.count, point.value.sum],
      ]),
    );
    expect(sums).toEqual({ input: [2, 20], output: [2, 10] });
    const duration = metrics.find((metric) => metric.descriptor.name === "gen_ai.client.operation.duration");
    expect([duration?.descriptor.unit, (duration as HistogramMetricData).dataPoints[0]?.value.count]).toEqual(["s", 2]);
  });

  test("prompts, answers and code are recorded only when asked; secrets never", async () => {
    const { spans } = await inMemory(true);
    process.env.LITMUS_TEST_SECRET_KEY = "sk-never-in-a-span";
    const { model } = scripted([ANSWER]);
    await solve(await addTask(), { model, maxAttempts: 1 });
    delete process.env.LITMUS_TEST_SECRET_KEY;
    const finished = spans.getFinishedSpans();
    const call = finished.find((span) => span.name === "chat scripted");
    expect(String(call?.attributes["gen_ai.input.messages"])).toContain("Write add(a, b) that returns the sum.");
    expect(JSON.parse(String(call?.attributes["gen_ai.output.messages"]))).toEqual([
      { role: "assistant", parts: [{ type: "text", content: ANSWER }], finish_reason: "stop" },
    ]);
    expect(finished.find((span) => span.name === "sandbox.run_code")?.attributes["litmus.code.source"]).toBe(
      "def add(a, b):\n    return a + b\n",
    );
    expect(JSON.stringify(finished.map((span) => span.attributes))).not.toContain("sk-never-in-a-span");
  });

  test("reviews and learning steps have spans of their own, with the model calls and runs under them", async () => {
    const { spans } = await inMemory();
    const dir = mkdtempSync(join(tmpdir(), "litmus-trace-"));
    using store = RunStore.open(join(dir, "runs.db"));
    const { model } = scripted([ANSWER, ANSWER]);
    const context = { store, model, artifactsDir: join(dir, "artifacts") };
    const review = await startReview(await addTask(), context);
    await decide(review.id, { kind: "approve", by: "ada" }, context);
    await execute(review.id, context);
    const learner = new Learner({ playbookPath: join(dir, "playbook.json"), model, store, sourceKind: "test" });
    await learner.run(await addTask(), "s1");
    const finished = spans.getFinishedSpans();
    expect(tree(finished)).toEqual([
      "litmus.review.start",
      "  chat scripted",
      "litmus.review.decide",
      "litmus.review.execute",
      "  sandbox.run_code",
      "  sandbox.run_code",
      "litmus.learn.step",
      "  litmus.solve",
      "    litmus.attempt",
      "      chat scripted",
      "      sandbox.run_code",
      "      sandbox.run_code",
    ]);
    expect(finished.find((span) => span.name === "litmus.review.decide")?.attributes).toEqual({
      "litmus.review.id": review.id,
      "litmus.review.decision": "approve",
      "litmus.review.by": "ada",
    });
    expect(finished.find((span) => span.name === "litmus.learn.step")?.attributes).toMatchObject({
      "litmus.task.id": "add",
      "litmus.learn.solved": true,
    });
  });
});
