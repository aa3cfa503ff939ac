import { isLitmusError } from "../errors.ts";
import {
  BUILTIN_TEMPLATES,
  type BuiltTemplate,
  buildTemplate,
  resolveTemplate,
  sandboxPython,
} from "../sandbox/index.ts";
import { templateBuildBars } from "./progress-bar.ts";

/**
 * The template `name`: resolved, or, for a built-in one not built yet, built first (once, with progress on
 * stderr, saying what it is for).
 */
export async function templateOnDemand(name: string, command: string, purpose: string): Promise<BuiltTemplate> {
  const python = sandboxPython();
  try {
    return await resolveTemplate(name, python, BUILTIN_TEMPLATES);
  } catch (error) {
    const builtin = BUILTIN_TEMPLATES.find((spec) => spec.name === name);
    if (!builtin || !isLitmusError(error, "NOT_FOUND")) throw error;
    process.stderr.write(`litmus ${command}: building the ${name} template ${purpose} (once)\n`);
    using bars = templateBuildBars(builtin);
    return await buildTemplate(builtin, { python, onProgress: bars.onTemplateProgress });
  }
}
