import { LitmusError } from "../errors.ts";
import { inSpan, recordsContent } from "../telemetry/index.ts";
import { checkEnvs } from "./envs.ts";
import { OutputBudget } from "./output-budget.ts";
import type { SandboxRequest } from "./request.ts";
import type { CommandHandle, CommandOptions, CommandResult, RunningCommand } from "./types.ts";

/** Shell commands inside the sandbox (`bash -c`), with streamed output and the same limits as code. */
export class SandboxCommands {
  private readonly request: SandboxRequest;
  private readonly outputBytes: number;

  constructor(request: SandboxRequest, outputBytes: number) {
    this.request = request;
    this.outputBytes = outputBytes;
  }

  /** Runs a command to completion; a non-zero exit is a result, not an exception. */
  run(cmd: string, options: CommandOptions = {}): Promise<CommandResult> {
    return inSpan("sandbox.command", recordsContent() ? { "litmus.command": cmd } : {}, async (span) => {
      const result = await (await this.startUntraced(cmd, options)).wait();
      span.setAttributes({
        "litmus.execution.exit_code": result.exitCode,
        "litmus.execution.timed_out": result.timedOut,
        "litmus.execution.duration_ms": result.durationMs,
      });
      return result;
    });
  }

  /**
   * Starts a command and returns as soon as it runs, with its pid: its output streams to the callbacks, and
   * `wait()` gives its result. With `stdin`, it reads what `sendStdin` writes (until `closeStdin`).
   */
  start(cmd: string, options: CommandOptions & { stdin?: boolean } = {}): Promise<CommandHandle> {
    return inSpan("sandbox.command.start", recordsContent() ? { "litmus.command": cmd } : {}, () =>
      this.startUntraced(cmd, options),
    );
  }

  /** The commands running in the sandbox (started by `run` or `start`), with their pids. */
  async list(options: { signal?: AbortSignal } = {}): Promise<RunningCommand[]> {
    return (await this.request("command.list", {}, options)).processes ?? [];
  }

  /** Writes to the stdin of a command started with `stdin`; NOT_FOUND when no such command runs. */
  async sendStdin(pid: number, data: string | Uint8Array, options: { signal?: AbortSignal } = {}): Promise<void> {
    const bytes =
      typeof data === "string" ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    await this.request("command.input", { pid, data: bytes.toString("base64") }, options);
  }

  /** Ends the stdin of a command started with `stdin` (it reads end of file). */
  async closeStdin(pid: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.request("command.close-stdin", { pid }, options);
  }

  /**
   * Kills a running command and what it started (SIGKILL; "term" sends SIGTERM, which E2B sandboxes refuse with
   * BAD_INPUT: their SDK only kills); NOT_FOUND when none runs.
   */
  async kill(pid: number, options: { signal?: AbortSignal; with?: "kill" | "term" } = {}): Promise<void> {
    await this.request("command.signal", { pid, signal: options.with ?? "kill" }, options);
  }

  private startUntraced(cmd: string, options: CommandOptions & { stdin?: boolean }): Promise<CommandHandle> {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const budget = new OutputBudget(this.outputBytes);
    const started = Promise.withResolvers<number>();
    const done = this.request(
      "command",
      { cmd, cwd: options.cwd, envs: checkEnvs(options.envs, "commands.run envs"), stdin: options.stdin === true },
      {
        signal: options.signal,
        timeoutMs: options.timeoutMs,
        onEvent: (event) => {
          if (event.ev === "started") return started.resolve(event.pid);
          if (event.ev !== "stdout" && event.ev !== "stderr") return;
          const text = budget.take(event.text);
          if (!text) return;
          (event.ev === "stdout" ? stdout : stderr).push(text);
          (event.ev === "stdout" ? options.onStdout : options.onStderr)?.(text);
        },
      },
    );
    // A command that cannot start fails its request before any "started"; one that ends without saying it
    // started (a backend that could not start it) must not leave the caller waiting.
    done.then(
      () => started.reject(new LitmusError("INTERNAL", "the command ended before it was reported started")),
      (error: unknown) => started.reject(error),
    );
    const result = done.then(
      (finished): CommandResult => ({
        stdout: stdout.join(""),
        stderr: stderr.join(""),
        exitCode: finished.exitCode ?? 0,
        error: finished.error ?? null,
        durationMs: finished.durationMs ?? 0,
        timedOut: finished.timedOut ?? false,
        truncated: (finished.truncated ?? false) || budget.truncated,
      }),
    );
    result.catch(() => {}); // a caller that never waits must not crash the process on a failure
    return started.promise.then((pid) => ({
      pid,
      wait: () => result,
      sendStdin: (data, signal) => this.sendStdin(pid, data, { ...(signal ? { signal } : {}) }),
      closeStdin: () => this.closeStdin(pid),
      kill: () => this.kill(pid),
    }));
  }
}
