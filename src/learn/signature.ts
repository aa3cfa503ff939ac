import type { Diagnosis } from "../loop/index.ts";

/**
 * A failure's normalized signature: its kind, the exception, and the message with everything task-specific
 * (quoted text, numbers, names in quotes) blanked, so the same mistake on different tasks matches:
 * `runtime:IndexError:list index out of range`, `import:NameError:name _ is not defined`,
 * `test_failure:returned None`. `null` for a success.
 */
export function errorSignature(diagnosis: Pick<Diagnosis, "kind" | "message" | "expected" | "actual">): string | null {
  const { kind } = diagnosis;
  if (kind === "ok") return null;
  if (kind === "no_code" || kind === "timeout" || kind === "memory") return kind;
  if (kind === "test_failure") return `test_failure:${mismatchOf(diagnosis.expected, diagnosis.actual)}`;
  const exception = /\b([A-Z]\w*(?:Error|Exception|Exit|Interrupt))\b:?\s*(.*)/.exec(firstLine(diagnosis.message));
  if (!exception) return kind;
  const [, name = "", rest = ""] = exception;
  return `${kind}:${name}:${skeleton(rest)}`;
}

/** The kind of a failed comparison: what was returned next to what was expected, by shape only. */
function mismatchOf(expected: string | undefined, actual: string | undefined): string {
  if (actual === undefined || expected === undefined) return "assertion";
  if (actual.trim() === "None" && expected.trim() !== "None") return "returned None";
  const want = shapeOf(expected);
  const got = shapeOf(actual);
  return want === got ? `wrong ${want}` : `${got} instead of ${want}`;
}

function shapeOf(literal: string): string {
  const text = literal.trim();
  if (/^(True|False|true|false)$/.test(text)) return "bool";
  if (/^-?\d+$/.test(text)) return "int";
  if (/^-?(\d+\.\d*|\.\d+|\d+e-?\d+|inf|nan)$/i.test(text)) return "float";
  if (/^['"]/.test(text)) return "str";
  if (text.startsWith("[")) return "list";
  if (text.startsWith("(")) return "tuple";
  if (text.startsWith("{")) return text.includes(":") || text === "{}" ? "dict" : "set";
  if (text === "None" || text === "null" || text === "undefined") return "None";
  return "value";
}

function skeleton(message: string): string {
  return message
    .replace(/\s*\(\d+ of \d+ tests failed\)/, "")
    .replace(/\s*\(line \d+.*$/, "")
    .replace(/'[^']*'|"[^"]*"|`[^`]*`/g, "_")
    .replace(/\b\d+(\.\d+)?\b/g, "N")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 80);
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? "";
}
