import type { DoneEvent, StreamEvent } from "./local/supervisor-channel.ts";
import type { Execution, ExecutionError, Result, RunCodeOptions } from "./types.ts";

const SIGKILL = 9;
const SIGABRT = 6;

/** Collects the stream of one execution into an Execution, calling the caller's handlers as it goes. */
export class ExecutionCollector {
  readonly results: Result[] = [];
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  private readonly handlers: RunCodeOptions;

  constructor(handlers: RunCodeOptions) {
    this.handlers = handlers;
  }

  readonly onEvent = (event: StreamEvent): void => {
    switch (event.ev) {
      case "stdout":
        this.stdout.push(event.text);
        this.handlers.onStdout?.(event.text);
        return;
      case "stderr":
        this.stderr.push(event.text);
        this.handlers.onStderr?.(event.text);
        return;
      case "result": {
        const result = { ...event.result, isMainResult: event.result.isMainResult === true } as Result;
        this.results.push(result);
        this.handlers.onResult?.(result);
        return;
      }
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
    return {
      results: this.results,
      logs: { stdout: this.stdout, stderr: this.stderr },
      error,
      executionCount: done.executionCount ?? 0,
      exitCode: done.exitCode ?? (error ? 1 : 0),
      durationMs: done.durationMs ?? 0,
      timedOut: done.timedOut ?? false,
      oomKilled,
      truncated: done.truncated ?? false,
    };
  }
}

function formatMiB(bytes: number): string {
  return `${Math.round(bytes / 1048576)} MiB`;
}
