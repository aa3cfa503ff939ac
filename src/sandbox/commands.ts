import { abortable } from "./abortable.ts";
import type { SupervisorChannel } from "./local/supervisor-channel.ts";
import type { CommandOptions, CommandResult } from "./types.ts";

/** Shell commands inside the sandbox (`bash -c`), with streamed output and the same limits as code. */
export class SandboxCommands {
  private readonly channel: SupervisorChannel;

  constructor(channel: SupervisorChannel) {
    this.channel = channel;
  }

  /** Runs a command to completion; a non-zero exit is a result, not an exception. */
  async run(cmd: string, options: CommandOptions = {}): Promise<CommandResult> {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const request = this.channel.request(
      "command",
      { cmd, cwd: options.cwd, envs: options.envs, timeoutMs: options.timeoutMs },
      (event) => {
        if (event.ev === "stdout") {
          stdout.push(event.text);
          options.onStdout?.(event.text);
        } else if (event.ev === "stderr") {
          stderr.push(event.text);
          options.onStderr?.(event.text);
        }
      },
    );
    const done = await abortable(request, this.channel, options.signal);
    return {
      stdout: stdout.join(""),
      stderr: stderr.join(""),
      exitCode: done.exitCode ?? 0,
      error: done.error ?? null,
      durationMs: done.durationMs ?? 0,
      timedOut: done.timedOut ?? false,
      truncated: done.truncated ?? false,
    };
  }
}
