import type { SyntaxNode } from "@lezer/common";
import { parser } from "@lezer/python";
import type { TaskLanguage } from "./task.ts";

/** Compound statements that may define or import what the entry point needs (`try: import numpy ...`). */
const COMPOUND = new Set(["TryStatement", "IfStatement", "WithStatement", "ForStatement", "WhileStatement"]);
const DEFINITIONS = new Set(["FunctionDefinition", "ClassDefinition", "DecoratedStatement"]);

interface TopLevel {
  node: SyntaxNode;
  /** Names this statement binds at module level. */
  defines: string[];
  /** Kept whatever the entry point needs: imports. */
  always: boolean;
}

/**
 * The part of a model's code that is the solution: the entry point and what it needs (imports, the functions,
 * classes and module-level names it refers to, transitively), in their original order. What a model adds
 * around its solution (its own asserts, example calls and prints, an `if __name__ == "__main__":` block) is
 * left out of what is judged, as EvalPlus's sanitizer does: a correct function must not fail on the model's own
 * wrong example. Without a named entry point, the names the tests mention are the roots; without either (a
 * script) nothing is left out. Python only; other languages, code that defines none of the roots and code whose
 * kept part does not parse are returned as they are (a syntax error is the sandbox's to report).
 */
export function sanitizeCode(
  code: string,
  options: { language: TaskLanguage; entryPoint: string | null; tests?: string | null },
): string {
  if (options.language !== "python" || (options.entryPoint === null && !options.tests)) return code;
  const tree = parser.parse(code);
  const statements: TopLevel[] = [];
  for (let node = tree.topNode.firstChild; node; node = node.nextSibling) {
    const statement = topLevelOf(node, code);
    if (statement) statements.push(statement);
  }
  const defined = new Set(statements.flatMap((statement) => statement.defines));
  // Without a named entry point, what the tests call is what must stay.
  const roots = options.entryPoint !== null ? [options.entryPoint] : [...namesIn(options.tests ?? "")];
  if (!roots.some((root) => defined.has(root))) return code;

  const needed = new Set(roots);
  const kept = new Set<TopLevel>();
  const pending = [...roots];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    for (const statement of statements) {
      if (kept.has(statement) || !statement.defines.includes(name)) continue;
      kept.add(statement);
      for (const used of namesUsed(statement.node, code)) {
        if (!needed.has(used)) {
          needed.add(used);
          pending.push(used);
        }
      }
    }
  }
  const chosen = statements.filter((statement) => statement.always || kept.has(statement));
  // A broken statement that is left out does not matter (an answer cut off in its trailing examples); one that
  // is kept is the sandbox's to report, on the code as the model wrote it.
  if (chosen.some((statement) => hasError(statement.node))) return code;
  let text = "";
  chosen.forEach((statement, index) => {
    const imports = statement.node.name === "ImportStatement" && chosen[index - 1]?.node.name === "ImportStatement";
    text += `${index === 0 ? "" : imports ? "\n" : "\n\n"}${code.slice(statement.node.from, statement.node.to).trimEnd()}`;
  });
  return `${text}\n`;
}

function hasError(node: SyntaxNode): boolean {
  let error = false;
  node.toTree().iterate({
    enter: (inner) => {
      if (inner.type.isError) error = true;
      return !error;
    },
  });
  return error;
}

/** A module-level statement worth considering; `null` for what is never part of a solution. */
function topLevelOf(node: SyntaxNode, code: string): TopLevel | null {
  if (node.name === "ImportStatement") return { node, defines: [], always: true };
  if (DEFINITIONS.has(node.name)) return { node, defines: definedName(node, code), always: false };
  if (node.name === "AssignStatement") return { node, defines: assignedNames(node, code), always: false };
  if (COMPOUND.has(node.name)) {
    // `if __name__ == "__main__":` is the model's demonstration, never the solution.
    if (node.name === "IfStatement" && /^if\s+__name__\s*==/.test(code.slice(node.from, node.to))) return null;
    const imports = descendants(node, "ImportStatement").length > 0;
    const defines = [
      ...descendants(node, "FunctionDefinition").flatMap((inner) => definedName(inner, code)),
      ...descendants(node, "ClassDefinition").flatMap((inner) => definedName(inner, code)),
      ...descendants(node, "AssignStatement").flatMap((inner) => assignedNames(inner, code)),
    ];
    if (!imports && defines.length === 0) return null;
    return { node, defines, always: imports };
  }
  return null;
}

/** The name a `def` or `class` (decorated or not) binds. */
function definedName(node: SyntaxNode, code: string): string[] {
  const definition =
    node.name === "DecoratedStatement"
      ? (node.getChild("FunctionDefinition") ?? node.getChild("ClassDefinition"))
      : node;
  const name = definition?.getChild("VariableName");
  return name ? [code.slice(name.from, name.to)] : [];
}

/** The plain names an assignment binds: `a, b = ...`, `x: int = ...`, `c = d = ...`. */
function assignedNames(node: SyntaxNode, code: string): string[] {
  const operators = node.getChildren("AssignOp");
  const last = operators.at(-1);
  if (!last) return [];
  return node
    .getChildren("VariableName")
    .filter((name) => name.to <= last.from)
    .map((name) => code.slice(name.from, name.to));
}

/** The names a piece of Python source mentions. */
function namesIn(source: string): Set<string> {
  return namesUsed(parser.parse(source).topNode, source);
}

function namesUsed(node: SyntaxNode, code: string): Set<string> {
  return new Set(descendants(node, "VariableName").map((name) => code.slice(name.from, name.to)));
}

function descendants(node: SyntaxNode, type: string): SyntaxNode[] {
  const found: SyntaxNode[] = [];
  const cursor = node.cursor();
  const end = node.to;
  if (!cursor.firstChild()) return found;
  do {
    if (cursor.name === type) found.push(cursor.node);
  } while (cursor.next() && cursor.from < end);
  return found;
}
