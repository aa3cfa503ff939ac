import { PassThrough } from "node:stream";
import { describe, expect, test } from "vitest";
import { isLitmusError } from "../../src/errors.ts";
import { type StreamEvent, SupervisorChannel } from "../../src/sandbox/local/supervisor-channel.ts";

function channelPair() {
  const toSupervisor = new PassThrough();
  const fromSupervisor = new PassThrough();
  const channel = new SupervisorChannel(toSupervisor, fromSupervisor);
  const sent: unknown[] = [];
  toSupervisor.setEncoding("utf8");
  toSupervisor.on("data", (chunk: string) => {
    for (const line of chunk.split("\n").filter(Boolean)) sent.push(JSON.parse(line));
  });
  const reply = (event: unknown) => fromSupervisor.write(`${JSON.stringify(event)}\n`);
  return { channel, sent, reply, fromSupervisor };
}

describe("SupervisorChannel", () => {
  test("routes stream events to the request that owns them and resolves on done", async () => {
    const { channel, sent, reply } = channelPair();
    const events: StreamEvent[] = [];
    const pending = channel.request("exec", { code: "1+1" }, { onEvent: (event) => events.push(event) });
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual([{ code: "1+1", id: 1, op: "exec" }]);
    reply({ id: 1, ev: "stdout", text: "hi\n" });
    reply({ id: 1, ev: "result", result: { text: "2", isMainResult: true } });
    reply({ id: 1, ev: "done", error: null, exitCode: 0 });
    await expect(pending).resolves.toEqual({ id: 1, ev: "done", error: null, exitCode: 0 });
    expect(events).toEqual([
      { id: 1, ev: "stdout", text: "hi\n" },
      { id: 1, ev: "result", result: { text: "2", isMainResult: true } },
    ]);
  });

  test("reassembles lines split across chunks", async () => {
    const { channel, fromSupervisor } = channelPair();
    const pending = channel.request("ping", {});
    const line = `${JSON.stringify({ id: 1, ev: "done", exitCode: 7 })}\n`;
    fromSupervisor.write(line.slice(0, 5));
    fromSupervisor.write(line.slice(5));
    await expect(pending).resolves.toMatchObject({ exitCode: 7 });
  });

  test("ignores lines that are not valid events instead of trusting them", async () => {
    const { channel, reply, fromSupervisor } = channelPair();
    const pending = channel.request("ping", {});
    fromSupervisor.write("not json\n");
    reply({ id: 1, ev: "done", exitCode: "zero" });
    reply({ id: 1, ev: "explode" });
    reply({ id: 1, ev: "done", exitCode: 0 });
    await expect(pending).resolves.toMatchObject({ exitCode: 0 });
  });

  test("turns a failed reply into a LitmusError with a code", async () => {
    const { channel, reply } = channelPair();
    const pending = channel.request("files.read", { path: "nope" });
    reply({ id: 1, ev: "failed", name: "FileNotFoundError", message: "[Errno 2] No such file or directory: 'nope'" });
    const error = await pending.catch((caught: unknown) => caught);
    expect(isLitmusError(error, "NOT_FOUND")).toBe(true);
  });

  test("rejects everything pending, and later requests, once closed", async () => {
    const { channel } = channelPair();
    const pending = channel.request("exec", { code: "1" });
    channel.close(new Error("sandbox ended"));
    await expect(pending).rejects.toThrow("sandbox ended");
    await expect(channel.request("exec", { code: "2" })).rejects.toThrow("sandbox ended");
    expect(channel.closed).toBe(true);
  });
});
