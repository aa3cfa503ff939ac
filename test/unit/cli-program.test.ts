import { Help } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram, COMMANDS, commandNameOf } from "../../src/cli/program.ts";

describe("the command table the top-level help is drawn from", () => {
  it.each(COMMANDS.map((entry) => [entry.name, entry] as const))(
    "%s: the name, usage and summary its module registers",
    async (name, entry) => {
      const program = await buildProgram(name);
      const command = program.commands.find((candidate) => candidate.name() === name);
      expect(command, `${name} is registered by its module`).toBeDefined();
      if (!command) return;
      expect(new Help().subcommandTerm(command)).toBe(`${name} ${entry.usage}`.trim());
      expect(command.description()).toBe(entry.summary);
    },
  );

  it("lists every command without loading one, in the table's order", async () => {
    const help = (await buildProgram()).helpInformation();
    const listed = [...help.matchAll(/^ {2}([a-z]+)(?: \[options\]| \[|\s{2,}|$)/gm)].map((match) => match[1]);
    expect(listed.filter((name) => name !== "help")).toEqual(COMMANDS.map((entry) => entry.name));
    expect(help).toContain("test [options] [dir] [command...]");
  });
});

describe("commandNameOf", () => {
  it.each([
    [["run", "x.py"], "run"],
    [["--sandbox", "e2b", "run", "x.py"], "run"],
    [["--trace", "console", "--trace-content", "solve", "task"], "solve"],
    [["--trace=console", "bench", "run"], "bench"],
    [["help", "solve"], "solve"],
    [["--help"], undefined],
    [[], undefined],
  ])("%j names %s", (args, name) => {
    expect(commandNameOf(args)).toBe(name);
  });
});
