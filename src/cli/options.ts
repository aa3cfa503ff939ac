import { InvalidArgumentError } from "commander";

/** Commander collector for repeatable KEY=VALUE options. */
export function collectEnv(pair: string, previous: Record<string, string>): Record<string, string> {
  const separator = pair.indexOf("=");
  if (separator <= 0) throw new InvalidArgumentError(`expected KEY=VALUE, got "${pair}"`);
  return { ...previous, [pair.slice(0, separator)]: pair.slice(separator + 1) };
}

/** Commander parser for positive integers. */
export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return parsed;
}

/** Commander parser for 0 or a positive integer (a version, a count that may be zero). */
export function nonNegativeInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError(`expected 0 or more, got "${value}"`);
  return parsed;
}

/** Commander parser for comma-separated lists. */
export function list(value: string): string[] {
  const items = value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError(`expected a comma-separated list, got "${value}"`);
  return items;
}

/** Commander parser for comma-separated positive integers. */
export function integerList(value: string): number[] {
  return list(value).map((item) => positiveInteger(item));
}

/** Commander parser for a sampling temperature: a number from 0 to 2. */
export function temperature(value: string): number {
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed) || parsed < 0 || parsed > 2)
    throw new InvalidArgumentError(`expected a temperature from 0 to 2, got "${value}"`);
  return parsed;
}

/** The one JSON document a `--json` command prints on stdout. */
export function writeJson(document: unknown): void {
  process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
}
