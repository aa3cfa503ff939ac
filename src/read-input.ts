import { readFile } from "node:fs/promises";
import { LitmusError } from "./errors.ts";

/** A file's text; BAD_INPUT naming `what` it was meant to be when it cannot be read. */
export async function readInputFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (error as Error).message;
    throw new LitmusError("BAD_INPUT", `cannot read the ${what} file ${path}: ${why}`);
  }
}
