import type { PromptStyle } from "../models/index.ts";
import type { Diagnosis } from "./diagnose.ts";
import type { Task, TaskLanguage } from "./task.ts";

/** A request for the model, and how to read its answer. */
export interface BuiltPrompt {
  system?: string;
  prompt: string;
  stopSequences: string[];
  /**
   * Completion style: the code the model's text continues (signature and docstring) and what closes it (the
   * brace a JavaScript stop sequence swallows). `null` for chat.
   */
  completion: { prefix: string; suffix: string } | null;
  /** Chat: the start of the answer the model continues (an opened code fence), when the model allows it. */
  responsePrefix?: string;
}

/**
 * The attempt before, described to the model so it can repair it: what running it showed, or what the person
 * who reviewed it (without running it) said.
 */
export type PreviousAttempt = {
  code: string | null;
  /**
   * False: say what went wrong without showing the code. A small model shown its failed code tends to copy it
   * back unchanged, whatever the temperature; without it, it writes a new one.
   */
  showCode?: boolean;
} & ({ diagnosis: Diagnosis } | { reviewerFeedback: string });

/** A playbook strategy shown to the model. */
export interface PromptBullet {
  id: string;
  content: string;
  /** Code that passed tests, shown under the sentence. */
  snippet?: string | null;
}

/** Where a run's bullets come from: a playbook's selection for each attempt (see learn/). */
export interface BulletSource {
  /** Bullets in the playbook, for the record. */
  size: number;
  /** The bullets for an attempt: `previous` is the failed attempt being repaired, `null` on the first. */
  select(previous: PreviousAttempt | null): PromptBullet[];
}

const PREVIOUS_CODE_LINES = 40;
/**
 * Longest failure shown to the model (about 300 tokens). The Python harness already cuts each value and test it
 * reports; this bounds the rest (a JavaScript assertion's diff, an exception's text), so that a repair prompt
 * always fits in the context the first prompt fitted in.
 */
const PREVIOUS_FAILURE_CHARS = 1200;
/** Docstrings wrapped like the code base models learned from: long lines invite them to echo the prose. */
const DOCSTRING_COLUMNS = 76;

const COMPLETION_STOPS: Record<TaskLanguage, string[]> = {
  // A new top-level statement ends the entry point: what follows would be the model's own tests or prose.
  python: ["\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\nassert ", "\n#", "\n```", "\n\n\n"],
  javascript: ["\n}", "\n```"],
  typescript: ["\n}", "\n```"],
};

/** Module-level lines that start a model's own examples after a Python solution, never the solution itself. */
const PYTHON_EXAMPLE_STARTS = ["\nassert ", "\nprint(", "\nif __name__", "\n# Test", "\n# Example"];

/** The entry point's first line: the task's signature, else one inferred from the prompt (`is_palindrome(s)`). */
export function signatureOf(task: Task): string | null {
  if (task.signature) return task.signature;
  const inferred = inferEntryPoint(task.prompt, task.entryPoint);
  if (!inferred) return null;
  if (inferred.isClass) return task.language === "python" ? `class ${inferred.name}:` : `class ${inferred.name} {`;
  return task.language === "python"
    ? `def ${inferred.name}(${inferred.params}):`
    : `function ${inferred.name}(${inferred.params}) {`;
}

/** The entry point a prompt names: a class (`class LRUCache`), else the first call-like `name(args)`. */
function inferEntryPoint(
  prompt: string,
  entryPoint: string | null,
): { name: string; params: string; isClass: boolean } | null {
  const klass = /\bclass\s+`?([A-Za-z_]\w*)/.exec(prompt);
  if (klass?.[1] && (entryPoint === null || entryPoint === klass[1]))
    return { name: klass[1], params: "", isClass: true };
  for (const match of prompt.matchAll(/\b([A-Za-z_]\w*)\(([^()]*)\)/g)) {
    const [, name = "", params = ""] = match;
    if (entryPoint === null || entryPoint === name) return { name, params: params.trim(), isClass: false };
  }
  return entryPoint ? { name: entryPoint, params: "*args", isClass: false } : null;
}

/** Builds the prompt for an attempt in the style the model wants (GGUF metadata decides for local models). */
export function buildPrompt(
  task: Task,
  options: {
    style: PromptStyle;
    /** The model continues a written start of its answer (TextModel.prefill). Default false. */
    prefill?: boolean;
    visibleTests: string | null;
    previous?: PreviousAttempt;
    bullets?: PromptBullet[];
  },
): BuiltPrompt {
  return options.style === "completion" ? completionPrompt(task, options) : chatPrompt(task, options);
}

function completionPrompt(
  task: Task,
  options: { visibleTests: string | null; previous?: PreviousAttempt; bullets?: PromptBullet[] },
): BuiltPrompt {
  const comment = commentOf(task.language);
  const header: string[] = [];
  for (const bullet of options.bullets ?? []) {
    header.push(`${comment} Hint: ${bullet.content}`);
    if (bullet.snippet) header.push(...commented(bullet.snippet.trimEnd(), comment));
  }
  if (options.previous) header.push(...commented(describePrevious(options.previous), comment));
  if (task.starter !== null) {
    // The task's own code to continue (HumanEval's prompt): its docstring already holds the examples.
    return {
      prompt: [...header, task.starter].join("\n"),
      stopSequences: COMPLETION_STOPS[task.language],
      completion: { prefix: task.starter, suffix: "" },
    };
  }
  const signature = signatureOf(task);
  if (signature === null) {
    // Nothing to continue from: the task as a comment, and the model writes the code after it.
    const prompt = [...header, ...commented(task.prompt, comment), ""].join("\n");
    const stopSequences = task.language === "python" ? ["\nif __name__", "\n```", "\n\n\n"] : ["\n```", "\n\n\n"];
    return { prompt, stopSequences, completion: { prefix: "", suffix: "" } };
  }
  const prefix =
    task.language === "python"
      ? pythonPrefix(signature, task.prompt, options.visibleTests)
      : javascriptPrefix(signature, task.prompt, options.visibleTests);
  return {
    prompt: [...header, prefix].join("\n"),
    stopSequences: COMPLETION_STOPS[task.language],
    completion: { prefix, suffix: task.language === "python" || !signature.trimEnd().endsWith("{") ? "" : "}" },
  };
}

function pythonPrefix(signature: string, prompt: string, visibleTests: string | null): string {
  const body = "    ";
  const doctests = visibleTests ? doctestsOf(visibleTests) : [];
  const docstring = [...wrap(prompt, DOCSTRING_COLUMNS), ...(doctests.length > 0 ? ["", ...doctests] : [])];
  const lines = docstring.map((line, index) => (index === 0 || line === "" ? line : `${body}${line}`));
  return `${signature}\n${body}"""${escapeDocstring(lines.join("\n"))}\n${body}"""\n`;
}

/** Text inside a `"""` docstring: backslashes escaped (`C:\\dir`, `\\n` in a test would not compile or would change), quotes broken up. */
function escapeDocstring(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll('"""', '\\"\\"\\"');
}

function javascriptPrefix(signature: string, prompt: string, visibleTests: string | null): string {
  const examples = visibleTests
    ? visibleTests
        .trim()
        .split("\n")
        .map((line) => ` * ${line}`)
    : [];
  return `/**\n * ${prompt.replaceAll("*/", "* /")}\n${examples.length > 0 ? ` *\n${examples.join("\n")}\n` : ""} */\n${signature}\n`;
}

/** `assert f(x) == y` lines as doctest examples (`>>> f(x)` / `y`), which base models have seen in docstrings. */
function doctestsOf(tests: string): string[] {
  const lines = tests.split("\n").filter((line) => line.trim() !== "");
  const asserts = lines.map((line) => /^assert\s+(.+?)\s*==\s*(.+)$/.exec(line.trim()));
  if (asserts.some((match) => match === null)) return [];
  return asserts.flatMap((match) => [`>>> ${match?.[1]}`, `${match?.[2]}`]);
}

function chatPrompt(
  task: Task,
  options: { prefill?: boolean; visibleTests: string | null; previous?: PreviousAttempt; bullets?: PromptBullet[] },
): BuiltPrompt {
  const language = task.language;
  const system =
    `You are an expert ${language} programmer. Reply with one fenced \`\`\`${language} code block holding the ` +
    "complete solution, with any imports it needs. No explanations, no example usage, no tests.";
  const parts = [`Task: ${task.prompt}`];
  const signature = signatureOf(task);
  if (task.starter !== null)
    parts.push(
      `Complete this code (keep its imports and definitions):\n\`\`\`${language}\n${task.starter.trimEnd()}\n\`\`\``,
    );
  else if (signature) parts.push(`The solution must define:\n${signature}`);
  if (options.visibleTests)
    parts.push(`It must pass these tests:\n\`\`\`${language}\n${options.visibleTests.trim()}\n\`\`\``);
  if (options.bullets?.length) {
    const listed = options.bullets.map(
      (bullet) =>
        `- [${bullet.id}] ${bullet.content}${bullet.snippet ? `\n\`\`\`${language}\n${bullet.snippet.trimEnd()}\n\`\`\`` : ""}`,
    );
    parts.push(
      `Strategies that worked before:\n${listed.join("\n")}\nIf you apply one, name it in a comment in the code, such as \`${commentOf(language)} uses: ${options.bullets[0]?.id}\`.`,
    );
  }
  if (options.previous)
    parts.push(
      `${describePrevious(options.previous)}\n${options.previous.showCode === false ? "Write a different solution that avoids this failure." : "Fix it: reply with the complete corrected code."}`,
    );
  return {
    system,
    prompt: parts.join("\n\n"),
    // With a prefill the answer is the code itself, up to the fence that closes it, or up to the examples a
    // model likes to add after a function (the sanitizer would drop them: they only cost time).
    stopSequences: options.prefill
      ? [
          "\n```",
          ...(task.language === "python" && (task.entryPoint ?? options.visibleTests) ? PYTHON_EXAMPLE_STARTS : []),
        ]
      : [],
    completion: null,
    ...(options.prefill ? { responsePrefix: `\`\`\`${language}\n` } : {}),
  };
}

/** The previous attempt in a few lines: its code (bounded) and what went wrong. */
function describePrevious(previous: PreviousAttempt): string {
  if (previous.code === null) return `The previous answer had no code in it.`;
  if (previous.showCode === false && "diagnosis" in previous) {
    return `An earlier attempt failed (${previous.diagnosis.kind}): ${brief(previous.diagnosis.message)}`;
  }
  const lines = previous.code.trimEnd().split("\n");
  const shown = lines.length > PREVIOUS_CODE_LINES ? [...lines.slice(0, PREVIOUS_CODE_LINES), "..."] : lines;
  if ("reviewerFeedback" in previous) {
    return `A reviewer rejected this previous attempt:\n${shown.join("\n")}\nReviewer's feedback: ${previous.reviewerFeedback}`;
  }
  return `This previous attempt failed:\n${shown.join("\n")}\nFailure (${previous.diagnosis.kind}): ${brief(previous.diagnosis.message)}`;
}

/** `text`, its middle cut out when longer than PREVIOUS_FAILURE_CHARS (the start and the end say the most). */
function brief(text: string): string {
  if (text.length <= PREVIOUS_FAILURE_CHARS) return text;
  const head = Math.floor((PREVIOUS_FAILURE_CHARS * 2) / 3);
  return `${text.slice(0, head)} ... ${text.slice(head - PREVIOUS_FAILURE_CHARS)} (${text.length} characters)`;
}

function commentOf(language: TaskLanguage): string {
  return language === "python" ? "#" : "//";
}

/** The ids of shown bullets an answer names (`# uses: str-0001`): what a chat model says it applied. */
export function citedBullets(text: string, shown: readonly PromptBullet[]): string[] {
  const ids = new Set(shown.map((bullet) => bullet.id));
  return [...new Set(text.match(/\b[a-z]{3}-\d{4,}\b/g) ?? [])].filter((id) => ids.has(id));
}

function commented(text: string, comment: string): string[] {
  return text.split("\n").map((line) => (line ? `${comment} ${line}` : comment));
}

/** Words into lines of at most `columns` characters (a longer word gets a line of its own). */
function wrap(text: string, columns: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line && line.length + 1 + word.length > columns) {
        lines.push(line);
        line = word;
      } else {
        line = line ? `${line} ${word}` : word;
      }
    }
    lines.push(line);
  }
  return lines;
}
