/** One `$ command` of a console session, with the output shown under it. */
export interface ConsoleCommand {
  command: string;
  /** 0-based line of the command within the block. */
  line: number;
  /** What the session shows the command printing; empty when it shows nothing (then nothing is checked). */
  output: string;
}

/**
 * The commands of a console block: lines starting with `$ ` are commands (a trailing backslash continues one
 * on the next line), the lines after a command up to the next are its output. Lines before the first command
 * are ignored.
 */
export function consoleCommands(block: string): ConsoleCommand[] {
  const commands: ConsoleCommand[] = [];
  const lines = block.split("\n");
  let current: { command: string[]; line: number; output: string[]; continued: boolean } | undefined;
  const finish = (): void => {
    if (current)
      commands.push({ command: current.command.join("\n"), line: current.line, output: current.output.join("\n") });
  };
  lines.forEach((line, at) => {
    if (current?.continued) {
      current.command.push(line);
      current.continued = line.endsWith("\\");
      return;
    }
    const prompt = /^\$( |$)(.*)$/.exec(line);
    if (prompt) {
      finish();
      const command = prompt[2] ?? "";
      current = { command: [command], line: at, output: [], continued: command.endsWith("\\") };
    } else current?.output.push(line);
  });
  finish();
  return commands.map((command) => ({ ...command, output: command.output.replace(/\s+$/, "") }));
}
