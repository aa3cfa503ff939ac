import type { DoneEvent, StreamEvent } from "./local/supervisor-channel.ts";
import { OutputBudget } from "./output-budget.ts";
import type { Execution, ExecutionError, Result, RunCodeOptions } from "./types.ts";

const SIGKILL = 9;
const SIGABRT = 6;

/** Collects the stream of one execution into an Execution, calling the caller's handlers as it goes. */
export class ExecutionCollector {
  readonly results: Result[] = [];
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  private readonly handlers: RunCodeOptions;
  private readonly output: OutputBudget;
  private readonly resultSpace: OutputBudget;

  constructor(handlers: RunCodeOptions, limits: { outputBytes: number; resultBytes: number }) {
    this.handlers = handlers;
    this.output = new OutputBudget(limits.outputBytes);
    this.resultSpace = new OutputBudget(limits.resultBytes);
  }

  readonly onEvent = (event: StreamEvent): void => {
    switch (event.ev) {
      case "stdout":
      case "stderr": {
        const text = this.output.take(event.text);
        if (!text) return;
        const isStderr = event.ev === "stderr";
        (isStderr ? this.stderr : this.stdout).push(text);
        const handler = isStderr ? this.handlers.onStderr : this.handlers.onStdout;
        handler?.({ line: text, timestamp: Date.now() * 1_000_000, error: isStderr });
        return;
      }
      case "result": {
        const result = { ...event.result, isMainResult: event.result.isMainResult === true } as Result;
        if (!this.resultSpace.admit(sizeOf(result))) return;
        this.results.push(result);
        this.handlers.onResult?.(result);
        return;
      }
      case "started": // a command's or a watch's, not code's
      case "watching":
      case "watch":
        return;
      default:
        event satisfies never;
    }
  };

  /**
   * The finished Execution. `oomKillsDuring` says whether the cgroup's OOM killer fired while it ran; the
   * error is rewritten to say so, because "killed by signal 9" alone sends people hunting for the wrong bug.
   */
  finish(done: DoneEvent, oomKillsDuring: number, memoryBytes: number): Execution {
    let error: ExecutionError | null = done.error ?? null;
    const heapExhausted = done.signal === SIGABRT && this.stderr.join("").includes("heap out of memory");
    const oomKilled = (done.signal === SIGKILL && oomKillsDuring > 0) || heapExhausted || error?.name === "MemoryError";
    if (oomKilled && error?.name !== "MemoryError") {
      error = {
        name: "OutOfMemory",
        value: `the code used more than the sandbox's memory limit (${formatMiB(memoryBytes)}) and was killed; the context restarts empty on the next run`,
        traceback: "",
      };
    }
    if (error) this.handlers.onError?.(error);
    const text = this.results.find((result) => result.isMainResult)?.text;
    return {
      results: this.results,
      ...(text !== undefined && { text }),
      logs: { stdout: this.stdout, stderr: this.stderr },
      error,
      executionCount: done.executionCount ?? 0,
      exitCode: done.exitCode ?? (error ? 1 : 0),
      ...(done.exited ? { exited: true } : {}),
      durationMs: done.durationMs ?? 0,
      timedOut: done.timedOut ?? false,
      oomKilled,
      truncated: (done.truncated ?? false) || this.output.truncated || this.resultSpace.truncated,
    };
  }
}

function sizeOf(result: Result): number {
  let size = 0;
  for (const value of Object.values(result))
    size += typeof value === "string" ? value.length : JSON.stringify(value ?? null).length;
  return size;
}

function formatMiB(bytes: number): string {
  return `${Math.round(bytes / 1048576)} MiB`;
}
