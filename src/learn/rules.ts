import type { Section } from "./bullet.ts";

/** A lesson the deterministic reflector draws from a failure signature (see `errorSignature`). */
interface Rule {
  when: RegExp;
  section: Section;
  content: string;
}

/**
 * Failure signatures and the general lesson each teaches, most specific first. Every sentence holds for any
 * task with that failure: nothing in them comes from a task.
 */
const PYTHON_RULES: Rule[] = [
  {
    when: /^no_code$/,
    section: "pitfalls",
    content: "Write the function's code right after its docstring; never restate the task as comments.",
  },
  {
    when: /^syntax:IndentationError/,
    section: "pitfalls",
    content: "Indent the whole function body by four spaces and keep each block's indentation consistent.",
  },
  {
    when: /^syntax:SyntaxError:expected _/,
    section: "pitfalls",
    content: "End every def, if, elif, else, for and while line with a colon.",
  },
  {
    when: /^syntax:SyntaxError:.*(never closed|unmatched|does not match)/,
    section: "pitfalls",
    content: "Close every bracket you open: count ( [ { against ) ] } on each line.",
  },
  {
    when: /^syntax:SyntaxError:unterminated/,
    section: "pitfalls",
    content: "Close each string literal on the line where it starts.",
  },
  {
    when: /^syntax:/,
    section: "pitfalls",
    content: "Write complete, plain Python statements: finish every expression and block you start.",
  },
  {
    when: /^import:(ModuleNotFoundError|ImportError)/,
    section: "environment",
    content: "Use only the standard library: third-party packages are not installed.",
  },
  {
    when: /^runtime:NameError/,
    section: "pitfalls",
    content: "Define every name before using it: import modules and write helpers you call.",
  },
  {
    when: /^runtime:UnboundLocalError/,
    section: "pitfalls",
    content: "Assign each variable before reading it, on every path through the function.",
  },
  {
    when: /^runtime:IndexError/,
    section: "pitfalls",
    content: "Check indexes against the length before using them, and handle empty inputs first.",
  },
  {
    when: /^runtime:KeyError/,
    section: "pitfalls",
    content: "Read dictionaries with .get(key, default) or test `key in d` first.",
  },
  {
    when: /^runtime:ZeroDivisionError/,
    section: "pitfalls",
    content: "Guard every division and modulo against a zero divisor.",
  },
  {
    when: /^runtime:RecursionError/,
    section: "pitfalls",
    content: "Give every recursive function a base case that is always reached, or use a loop.",
  },
  {
    when: /^runtime:TypeError:.*NoneType/,
    section: "pitfalls",
    content: "Return a value on every path: a function that falls off its end returns None.",
  },
  {
    when: /^runtime:TypeError:.*(unsupported operand|can only concatenate|must be str|not supported between)/,
    section: "pitfalls",
    content: "Convert values to one type before combining or comparing them (str(), int(), float()).",
  },
  {
    when: /^runtime:TypeError:.*(not subscriptable|not iterable|not callable)/,
    section: "pitfalls",
    content: "Check what type each argument is before indexing, looping over or calling it.",
  },
  {
    when: /^runtime:TypeError:.*(positional argument|missing N required|takes N)/,
    section: "pitfalls",
    content: "Keep the function's name and parameters exactly as the task gives them.",
  },
  {
    when: /^runtime:AttributeError/,
    section: "pitfalls",
    content: "Call only methods that the value's type has: str, list, dict and set methods differ.",
  },
  {
    when: /^runtime:ValueError/,
    section: "pitfalls",
    content: "Check inputs before converting or unpacking them (int(), split, tuple unpacking).",
  },
  {
    when: /^test_failure:returned None/,
    section: "pitfalls",
    content: "Return the result with `return`; do not print it.",
  },
  {
    when: /^test_failure:(\w+) instead of (\w+)/,
    section: "strategies",
    content: "Return exactly the type the examples show ($2, not $1).",
  },
  {
    when: /^test_failure:/,
    section: "strategies",
    content: "Before answering, run each example through the code by hand, including empty and one-item inputs.",
  },
  {
    when: /^timeout$/,
    section: "pitfalls",
    content: "Make every loop finish: advance its variable each pass, and prefer for-loops to while-loops.",
  },
  {
    when: /^memory$/,
    section: "pitfalls",
    content: "Avoid building huge lists or strings; compute results step by step.",
  },
];

/** Failures that mean the same in JavaScript and TypeScript. */
const ANY_LANGUAGE_RULES: Rule[] = [
  PYTHON_RULES[0] as Rule,
  ...PYTHON_RULES.filter((rule) => /test_failure|timeout|memory/.test(rule.when.source)),
];

/** Every lesson the rules can teach (distinct lessons: de-duplication must keep them apart). */
export const RULE_LESSONS: readonly string[] = PYTHON_RULES.map((rule) => rule.content);

/** The lesson of a failure signature, or `null` when no rule knows it. */
export function lessonFor(signature: string, language: string): { section: Section; content: string } | null {
  const rules = language === "python" ? PYTHON_RULES : ANY_LANGUAGE_RULES;
  for (const rule of rules) {
    const match = rule.when.exec(signature);
    if (!match) continue;
    const content = rule.content.replace(/\$(\d)/g, (_, index: string) => withArticle(match[Number(index)] ?? ""));
    return { section: rule.section, content };
  }
  return null;
}

/** "a list", "an int", "None". */
function withArticle(typeName: string): string {
  if (typeName === "None" || typeName === "value") return typeName;
  return /^[aeiou]/.test(typeName) ? `an ${typeName}` : `a ${typeName}`;
}
