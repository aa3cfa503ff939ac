import { PassThrough } from "node:stream";
import { describe, expect, test } from "vitest";
import { isLitmusError } from "../../src/errors.ts";
import { ExecutionCollector } from "../../src/sandbox/execution.ts";
import { SupervisorChannel } from "../../src/sandbox/local/supervisor-channel.ts";
import { createRequester } from "../../src/sandbox/request.ts";

// The supervisor shares a uid with the user's code, so the host bounds what it accepts on its own.

describe("ExecutionCollector", () => {
  test("keeps at most the output budget, whatever the sandbox sends", () => {
    const streamed: string[] = [];
    const collector = new ExecutionCollector(
      { onStdout: ({ line }) => streamed.push(line) },
      { outputBytes: 10, resultBytes: 1000 },
    );
    collector.onEvent({ id: 1, ev: "stdout", text: "123456" });
    collector.onEvent({ id: 1, ev: "stderr", text: "789abc" });
    collector.onEvent({ id: 1, ev: "stdout", text: "more" });
    const execution = collector.finish({ id: 1, ev: "done", exitCode: 0, truncated: false }, 0, 1 << 20);
    expect(execution.logs).toEqual({ stdout: ["123456"], stderr: ["789a"] });
    expect(streamed).toEqual(["123456"]);
    expect(execution.truncated).toBe(true);
  });

  test("drops results beyond their budget", () => {
    const collector = new ExecutionCollector({}, { outputBytes: 4, resultBytes: 64 });
    collector.onEvent({ id: 1, ev: "result", result: { text: "x".repeat(70), isMainResult: true } });
    collector.onEvent({ id: 1, ev: "result", result: { text: "small", isMainResult: true } });
    const execution = collector.finish({ id: 1, ev: "done", exitCode: 0 }, 0, 1 << 20);
    expect(execution.results).toEqual([{ text: "small", isMainResult: true }]);
    expect(execution.truncated).toBe(true);
  });
});

describe("SupervisorChannel", () => {
  test("a message that never ends is cut off and the sandbox reported broken", async () => {
    const fromSupervisor = new PassThrough();
    let broken = false;
    const channel = new SupervisorChannel(new PassThrough(), fromSupervisor, { onBroken: () => (broken = true) });
    const pending = channel.request("exec", { code: "1" });
    const chunk = `{"id":1,"ev":"stdout","text":"${"x".repeat(1 << 20)}`;
    const megabyte = "x".repeat(1 << 20);
    for (let i = 0; i < 129; i++) fromSupervisor.write(i === 0 ? chunk : megabyte);
    await expect(pending).rejects.toThrow("the sandbox sent a message over 128 MiB without ending it; it was stopped");
    expect(broken).toBe(true);
  });
});

describe("createRequester", () => {
  test("a sandbox that never answers is killed and the request rejects instead of hanging", async () => {
    const channel = new SupervisorChannel(new PassThrough(), new PassThrough());
    let killed = 0;
    const request = createRequester(channel, {
      timeoutMs: 20,
      graceMs: 10,
      sandboxId: "sbx-test",
      onUnresponsive: () => killed++,
      unresponsiveAfterMs: 30,
    });
    const error = await request("exec", { code: "1" }).catch((caught: unknown) => caught);
    expect(isLitmusError(error, "SANDBOX_CLOSED")).toBe(true);
    expect((error as Error).message).toBe(
      'sandbox sbx-test stopped responding (no answer 60 ms after "exec" was sent) and was killed',
    );
    expect(killed).toBe(1);
  });

  test("an abort cancels the work in the sandbox and rejects with ABORTED", async () => {
    const toSupervisor = new PassThrough();
    const sent: string[] = [];
    toSupervisor.setEncoding("utf8").on("data", (chunk: string) => sent.push(...chunk.split("\n").filter(Boolean)));
    const channel = new SupervisorChannel(toSupervisor, new PassThrough());
    const request = createRequester(channel, {
      timeoutMs: 10_000,
      graceMs: 10,
      sandboxId: "sbx",
      onUnresponsive: () => {},
    });
    const controller = new AbortController();
    const pending = request("exec", { code: "1" }, { signal: controller.signal });
    controller.abort();
    const error = await pending.catch((caught: unknown) => caught);
    expect(isLitmusError(error, "ABORTED")).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent.map((line) => JSON.parse(line))).toEqual([
      { code: "1", timeoutMs: 10_000, id: 1, op: "exec" },
      { target: 1, id: 0, op: "cancel" },
    ]);
  });
});
