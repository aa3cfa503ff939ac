import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { LitmusError } from "../errors.ts";
import {
  BUILTIN_TEMPLATES,
  buildTemplate,
  listTemplates,
  parseRequirements,
  removeTemplate,
  sandboxPython,
  type TemplateSpec,
} from "../sandbox/index.ts";
import { writeJson } from "./options.ts";
import { templateBuildBars } from "./progress-bar.ts";

function megabytes(bytes: number): string {
  return `${Math.round(bytes / 1e6)} MB`;
}

/** The spec to build: a built-in by name, or a template of one's own from a requirements file. */
async function specOf(name: string, from: string | undefined): Promise<TemplateSpec> {
  if (from !== undefined) {
    const text = await readFile(from, "utf8").catch((error: NodeJS.ErrnoException) => {
      throw new LitmusError("BAD_INPUT", `cannot read ${from}: ${error.code ?? error.message}`);
    });
    return { name, description: `built from ${from}`, requirements: parseRequirements(text, from) };
  }
  const builtin = BUILTIN_TEMPLATES.find((spec) => spec.name === name);
  if (!builtin) {
    const names = BUILTIN_TEMPLATES.map((spec) => spec.name).join(", ");
    throw new LitmusError(
      "BAD_INPUT",
      `no built-in template "${name}" (built-in: ${names}); build one of your own with --from REQUIREMENTS.txt`,
    );
  }
  return builtin;
}

export function registerTemplateCommand(program: Command): void {
  const template = program
    .command("template")
    .description("Sandbox templates: Python environments built once and mounted into the sandboxes that ask");
  template
    .command("build")
    .description("Build a template (a built-in, or your own from a requirements file of pinned packages)")
    .argument("[name]", "the template's name", "code-interpreter")
    .option("--from <requirements>", "a requirements.txt of pinned packages (name==version), one per line")
    .option("--json", "print one JSON document on stdout")
    .action(async (name: string, options: { from?: string; json?: boolean }) => {
      const spec = await specOf(name, options.from);
      using bars = templateBuildBars(spec);
      const built = await buildTemplate(spec, { python: sandboxPython(), onProgress: bars.onTemplateProgress });
      bars.stop();
      if (options.json) return writeJson(built);
      process.stdout.write(
        `${built.name} (${built.key}, Python ${built.python}): ${built.installed.length} packages, ` +
          `${megabytes(built.sizeBytes)}\n${built.path}\n`,
      );
    });
  template
    .command("list")
    .description("Built templates, and the built-in ones not built yet")
    .option("--json", "print one JSON document on stdout")
    .action(async (options: { json?: boolean }) => {
      const built = await listTemplates();
      const notBuilt = BUILTIN_TEMPLATES.filter((spec) => !built.some((t) => t.name === spec.name)).map((spec) => ({
        name: spec.name,
        description: spec.description,
        requirements: spec.requirements,
      }));
      if (options.json) return writeJson({ built, notBuilt });
      const lines = [
        ...built.map(
          (t) =>
            `  ${t.name.padEnd(20)} ${t.key}  Python ${t.python.padEnd(12)} ${String(t.installed.length).padStart(4)} packages ` +
            `${megabytes(t.sizeBytes).padStart(8)}  built ${t.builtAt.slice(0, 16).replace("T", " ")}`,
        ),
        ...notBuilt.map(
          (spec) => `  ${spec.name.padEnd(20)} not built (litmus template build ${spec.name}): ${spec.description}`,
        ),
      ];
      process.stdout.write(lines.length > 0 ? `${lines.join("\n")}\n` : "no templates\n");
    });
  template
    .command("rm")
    .description("Remove every build of a template")
    .argument("<name>", "the template's name")
    .option("--json", "print one JSON document on stdout")
    .action(async (name: string, options: { json?: boolean }) => {
      const removed = await removeTemplate(name);
      if (options.json) return writeJson({ name, removed });
      process.stdout.write(removed > 0 ? `removed ${removed} build(s) of ${name}\n` : `no builds of ${name}\n`);
      if (removed === 0) process.exitCode = 1;
    });
}
