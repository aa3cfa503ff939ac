import { inSpan, recordsContent } from "../telemetry/index.ts";
import { checkEnvs } from "./envs.ts";
import { OutputBudget } from "./output-budget.ts";
import type { SandboxRequest } from "./request.ts";
import type { CommandOptions, CommandResult } from "./types.ts";

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
      const result = await this.runUntraced(cmd, options);
      span.setAttributes({
        "litmus.execution.exit_code": result.exitCode,
        "litmus.execution.timed_out": result.timedOut,
        "litmus.execution.duration_ms": result.durationMs,
      });
      return result;
    });
  }

  private async runUntraced(cmd: string, options: CommandOptions): Promise<CommandResult> {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const budget = new OutputBudget(this.outputBytes);
    const done = await this.request(
      "command",
      { cmd, cwd: options.cwd, envs: checkEnvs(options.envs, "commands.run envs") },
      {
        signal: options.signal,
        timeoutMs: options.timeoutMs,
        onEvent: (event) => {
          if (event.ev === "result") return;
          const text = budget.take(event.text);
          if (!text) return;
          (event.ev === "stdout" ? stdout : stderr).push(text);
          (event.ev === "stdout" ? options.onStdout : options.onStderr)?.(text);
        },
      },
    );
    return {
      stdout: stdout.join(""),
      stderr: stderr.join(""),
      exitCode: done.exitCode ?? 0,
      error: done.error ?? null,
      durationMs: done.durationMs ?? 0,
      timedOut: done.timedOut ?? false,
      truncated: (done.truncated ?? false) || budget.truncated,
    };
  }
}
