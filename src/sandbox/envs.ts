import { LitmusError } from "../errors.ts";

/**
 * Environment variables as a process can hold them: a name is not empty and has no `=` or NUL, a value has no
 * NUL. Refused with the variable's name otherwise (a kernel would fail on it in the middle of a run).
 */
export function checkEnvs(envs: Record<string, string> | undefined, where: string): Record<string, string> {
  for (const [name, value] of Object.entries(envs ?? {})) {
    if (name === "" || name.includes("=") || name.includes("\0")) {
      throw new LitmusError("BAD_INPUT", `${where}: ${JSON.stringify(name)} cannot name an environment variable`);
    }
    if (typeof value !== "string" || value.includes("\0")) {
      throw new LitmusError("BAD_INPUT", `${where}: the value of ${name} must be a string without NUL bytes`);
    }
  }
  return envs ?? {};
}
