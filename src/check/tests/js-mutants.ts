import { stripTypeScriptTypes } from "node:module";
import { type Node, parse } from "acorn";
import { LitmusError } from "../../errors.ts";
import type { Mutant } from "./mutant.ts";

const BINARY: Record<string, string> = {
  "+": "-",
  "-": "+",
  "*": "+",
  "/": "*",
  "%": "*",
  "**": "*",
  "<": "<=",
  "<=": "<",
  ">": ">=",
  ">=": ">",
  "===": "!==",
  "!==": "===",
  "==": "!=",
  "!=": "==",
  "&&": "||",
  "||": "&&",
  "??": "||",
  "+=": "-=",
  "-=": "+=",
  "*=": "+=",
  "++": "--",
  "--": "++",
};

/** A change to the source: `length` characters at `start` become `text`. */
interface Edit {
  start: number;
  length: number;
  text: string;
}

/**
 * The simple operator, constant and return-value mutations of a JavaScript or TypeScript module, one per site, as whole
 * sources. TypeScript is parsed with its types blanked out (Node keeps every position), and mutated in its own
 * text, so a mutant is still TypeScript. Parsing only: the code is never run here.
 */
export function javascriptMutants(source: string, language: "javascript" | "typescript", path: string): Mutant[] {
  const parsable = language === "typescript" ? stripTypeScriptTypes(source, { mode: "strip" }) : source;
  let program: Node;
  try {
    program = parse(parsable, { ecmaVersion: "latest", sourceType: "module", locations: true });
  } catch (error) {
    throw new LitmusError("BAD_INPUT", `${path} cannot be parsed: ${(error as Error).message}`);
  }
  const mutants: Mutant[] = [];
  visit(program, (node) => {
    const edit = editOf(node, parsable);
    if (!edit) return;
    const before = parsable.slice(edit.start, edit.start + edit.length);
    const { line, column } = (node as Node & { loc: { start: { line: number; column: number } } }).loc.start;
    mutants.push({
      line,
      column: column + 1,
      description: `${snippetOf(parsable, node)}: ${before} -> ${edit.text}`,
      source: source.slice(0, edit.start) + edit.text + source.slice(edit.start + edit.length),
    });
  });
  return mutants;
}

function editOf(node: Node, source: string): Edit | undefined {
  const any = node as Node & Record<string, unknown>;
  switch (node.type) {
    case "BinaryExpression":
    case "LogicalExpression":
    case "AssignmentExpression": {
      const operator = any.operator as string;
      const swap = BINARY[operator];
      if (!swap) return undefined;
      const left = any.left as Node;
      const start = source.indexOf(operator, left.end);
      return start < 0 ? undefined : { start, length: operator.length, text: swap };
    }
    case "UpdateExpression": {
      const operator = any.operator as string;
      const start = source.indexOf(operator, node.start);
      return { start, length: operator.length, text: BINARY[operator] ?? operator };
    }
    case "ReturnStatement": {
      const argument = any.argument as Node | null;
      return argument ? { start: argument.start, length: argument.end - argument.start, text: "undefined" } : undefined;
    }
    case "UnaryExpression":
      return any.operator === "!" ? { start: node.start, length: 1, text: "" } : undefined;
    case "Literal": {
      const value = any.value;
      const raw = source.slice(node.start, node.end);
      if (typeof value === "boolean") return { start: node.start, length: raw.length, text: String(!value) };
      if (typeof value === "number") return { start: node.start, length: raw.length, text: String(value + 1) };
      if (typeof value === "string" && value) return { start: node.start, length: raw.length, text: '""' };
      return undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Visits every node in source order, parents first. Strings that name modules (import and export sources,
 * require() arguments) and bare string statements are left out: changing them tests nothing.
 */
function visit(node: Node, onNode: (node: Node) => void): void {
  // A bare string statement ("use strict", or any other) does nothing a test could see.
  if (
    node.type === "ExpressionStatement" &&
    typeof (node as Node & { expression: { value?: unknown } }).expression.value === "string"
  ) {
    return;
  }
  onNode(node);
  const any = node as Node & Record<string, unknown>;
  const requires = node.type === "CallExpression" && (any.callee as { name?: string }).name === "require";
  for (const [key, value] of Object.entries(node)) {
    if (key === "source" && (node.type.startsWith("Import") || node.type.startsWith("Export"))) continue;
    if (requires && key === "arguments") continue;
    for (const child of Array.isArray(value) ? value : [value]) {
      if (child && typeof child === "object" && typeof (child as Node).type === "string") visit(child as Node, onNode);
    }
  }
}

/** The first line of the node's source, shortened: where the mutation is, for people. */
function snippetOf(source: string, node: Node): string {
  const text = source.slice(node.start, node.end).split("\n", 1)[0] ?? "";
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
