import { readFile } from "node:fs/promises";
import { gunzipSync } from "node:zlib";
import type { z } from "zod";
import { LitmusError } from "../../errors.ts";
import { withRawFields } from "./raw-json-fields.ts";

/** One record of a dataset file, with the fields asked for as raw JSON text (see withRawFields). */
export interface DatasetRecord {
  record: unknown;
  raw: Record<string, string | undefined>;
}

/** The records of a dataset file: JSON Lines or one JSON array, gzip-compressed or not. */
export async function readRecords(path: string, rawFields: readonly string[] = []): Promise<DatasetRecord[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new LitmusError(
      "BAD_INPUT",
      `cannot read the dataset ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  const text = (isGzip(bytes) ? gunzipSync(bytes) : bytes).toString("utf8");
  if (text.trimStart().startsWith("[")) {
    try {
      return (JSON.parse(text) as unknown[]).map((record) => ({ record, raw: {} }));
    } catch (error) {
      throw new LitmusError("BAD_INPUT", `${path} is not valid JSON: ${(error as Error).message}`);
    }
  }
  const records: DatasetRecord[] = [];
  for (const [index, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    try {
      records.push(withRawFields(line, rawFields));
    } catch (error) {
      throw new LitmusError("BAD_INPUT", `${path}:${index + 1}: not a JSON line: ${(error as Error).message}`);
    }
  }
  return records;
}

/** `record` checked against `schema`, or a BAD_INPUT error naming the record and the field. */
export function parseRecord<T>(schema: z.ZodType<T>, record: unknown, where: string): T {
  const parsed = schema.safeParse(record);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.length ? issue.path.join(".") : "the record";
  throw new LitmusError("BAD_INPUT", `${where}: ${field}: ${issue?.message ?? "invalid"}`);
}

function isGzip(bytes: Buffer): boolean {
  return bytes[0] === 0x1f && bytes[1] === 0x8b;
}
