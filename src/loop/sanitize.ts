import { createRequire } from "node:module";
import type { SyntaxNode } from "@lezer/common";
import type { TaskLanguage } from "./task.ts";

type PythonParser = typeof import("@lezer/python").parser;
let pythonParser: PythonParser | undefined;

/** Loaded on first use: every command loads this module, few sanitize code (the grammar costs ~10 ms). */
function python(): PythonParser {
  pythonParser ??= (createRequire(import.meta.url)("@lezer/python") as typeof import("@lezer/python")).parser;
  return pythonParser;
}

/** Module-level calls that run a model's own checks: never part of a solution. */
const DEMONSTRATION_CALLS = new Set(["print", "main", "unittest.main", "doctest.testmod", "pytest.main"]);
const DEFINITIONS = new Set(["FunctionDefinition", "ClassDefinition", "DecoratedStatement", "ImportStatement"]);

/**
 * The model's code without what it adds to show its solution off: module-level asserts, prints, an
 * `if __name__ == "__main__":` block, calls of test runners, and module-level statements that use the solution
 * (`result = f(3)`, `for case in cases: check(f(case))`), as EvalPlus's sanitizer leaves out all but the
 * solution. A correct function must not fail on the model's own wrong example, and the diagnosis must not
 * blame the function for it. Everything else (definitions, imports, the set-up a solution may need such as
 * `memo = {}`, `memo[0] = 1` or `sys.setrecursionlimit(...)`) stays in place.
 *
 * The solution is the entry point and the names the visible tests use that the code defines; with neither (a
 * script) nothing is left out. Python only; other languages, code that defines no solution name and code whose
 * kept part does not parse are returned as they are (a syntax error is the sandbox's to report).
 */
export function sanitizeCode(
  code: string,
  options: { language: TaskLanguage; entryPoint: string | null; tests?: string | null },
): string {
  if (options.language !== "python") return code;
  const tree = python().parse(code);
  const statements = topLevelStatements(tree.topNode);
  const defined = new Set(statements.flatMap((node) => definedNames(node, code)));
  const wanted = [...(options.entryPoint === null ? [] : [options.entryPoint]), ...namesIn(options.tests ?? "")];
  const solution = new Set(wanted.filter((name) => defined.has(name)));
  if (solution.size === 0) return code;

  // Functions of the model's own that use the solution (`def check(): assert f(1) == 2`): calling one at
  // module level is a demonstration too.
  const users = statements
    .filter((node) => DEFINITIONS.has(node.name) && node.name !== "ImportStatement")
    .filter((node) => mentionsAny(node, code, solution))
    .flatMap((node) => definedNames(node, code));
  const shown = new Set([...solution, ...users]);
  const demonstrations = statements.filter((node) => isDemonstration(node, code, shown));
  if (demonstrations.length === 0) return code;
  const dropped = withTheirComments(tree.topNode, demonstrations, code);
  if (statements.some((node) => !demonstrations.includes(node) && hasError(node))) return code;
  // The rest keeps the model's own layout: only the dropped statements are cut out.
  let text = "";
  let from = 0;
  for (const node of dropped) {
    text += code.slice(from, node.from);
    from = node.to;
  }
  text += code.slice(from);
  return `${text
    .replace(/[ \t]+$/gm, "")
    .replace(/\n{3,}/g, "\n\n")
    .trim()}\n`;
}

/**
 * The statements to cut out, in order, with the comments that belong to them: a comment on their line, and the
 * comment lines right before them (`# Test the function`).
 */
function withTheirComments(script: SyntaxNode, demonstrations: SyntaxNode[], code: string): SyntaxNode[] {
  const cut = new Set(demonstrations.map((node) => node.from));
  const children: SyntaxNode[] = [];
  for (let node = script.firstChild; node; node = node.nextSibling) children.push(node);
  const belongs = (comment: SyntaxNode, index: number): boolean => {
    const before = children[index - 1];
    if (before && cut.has(before.from) && !code.slice(before.to, comment.from).includes("\n")) return true;
    const after = children.slice(index + 1).find((node) => node.name !== "Comment");
    return after !== undefined && cut.has(after.from) && !/\n\s*\n/.test(code.slice(comment.to, after.from));
  };
  const comments = children.filter((node, index) => node.name === "Comment" && belongs(node, index));
  return [...demonstrations, ...comments].sort((a, b) => a.from - b.from);
}

/** Module-level statements, with `a; b` lines taken apart. */
function topLevelStatements(script: SyntaxNode): SyntaxNode[] {
  const statements: SyntaxNode[] = [];
  for (let node = script.firstChild; node; node = node.nextSibling) {
    if (node.name === "Comment") continue;
    if (node.name === "StatementGroup") {
      for (let inner = node.firstChild; inner; inner = inner.nextSibling)
        if (inner.name !== ";") statements.push(inner);
    } else statements.push(node);
  }
  return statements;
}

/** Whether a module-level statement only shows the solution (or `shown`, what uses it) off. */
function isDemonstration(node: SyntaxNode, code: string, solution: Set<string>): boolean {
  if (DEFINITIONS.has(node.name)) return false;
  if (node.name === "AssertStatement") return true;
  const text = code.slice(node.from, node.to);
  if (node.name === "IfStatement" && /^if\s+__name__\s*==/.test(text)) return true;
  const call = node.name === "ExpressionStatement" ? node.getChild("CallExpression") : null;
  if (call && DEMONSTRATION_CALLS.has(code.slice(call.from, call.firstChild?.to ?? call.from))) return true;
  // Set-up never calls the solution at module level; a demonstration does.
  return descendants(node, "CallExpression").some((inner) => mentionsAny(inner, code, solution));
}

function mentionsAny(node: SyntaxNode, code: string, names: Set<string>): boolean {
  return descendants(node, "VariableName").some((name) => names.has(code.slice(name.from, name.to)));
}

/** The names a module-level statement binds: a def or class, or the plain targets of an assignment. */
function definedNames(node: SyntaxNode, code: string): string[] {
  const definition =
    node.name === "DecoratedStatement"
      ? (node.getChild("FunctionDefinition") ?? node.getChild("ClassDefinition"))
      : node.name === "FunctionDefinition" || node.name === "ClassDefinition"
        ? node
        : null;
  if (definition) {
    const name = definition.getChild("VariableName");
    return name ? [code.slice(name.from, name.to)] : [];
  }
  if (node.name !== "AssignStatement") return [];
  const last = node.getChildren("AssignOp").at(-1);
  return node
    .getChildren("VariableName")
    .filter((name) => last !== undefined && name.to <= last.from)
    .map((name) => code.slice(name.from, name.to));
}

/** The names a piece of Python source mentions. */
function namesIn(source: string): string[] {
  const tree = python().parse(source);
  return [...new Set(descendants(tree.topNode, "VariableName").map((name) => source.slice(name.from, name.to)))];
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
