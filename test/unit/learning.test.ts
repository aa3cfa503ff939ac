import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  applyDeltas,
  bulletTokens,
  curate,
  effectOf,
  emptyPlaybook,
  errorSignature,
  Learner,
  leakOf,
  type Playbook,
  type Reflection,
  readPlaybook,
  reflect,
  retirements,
  selectBullets,
} from "../../src/learn/index.ts";
import type { Attempt, Diagnosis, Outcome, Task } from "../../src/loop/index.ts";
import { add, TEST_SOURCE } from "../helpers/playbooks.ts";
import { scripted, userText } from "../helpers/scripted-model.ts";

const TASK: Task = {
  id: "Mbpp/17",
  prompt: "Write a function to find the perimeter of a square given its side length.",
  language: "python",
  entryPoint: "square_perimeter",
  signature: "def square_perimeter(a):",
  starter: null,
  solution: null,
  tags: ["mbpp"],
  tests: { kind: "code", code: "assert square_perimeter(10) == 40\n" },
  hiddenTests: null,
  limits: {},
};

function attempt(n: number, code: string | null, diagnosis: Diagnosis, bullets: string[] = []): Attempt {
  return {
    n,
    code,
    execution: null,
    diagnosis,
    usage: { inputTokens: 1, outputTokens: 1, costUsd: 0 },
    generations: 1,
    durationMs: 1,
    bullets,
    cited: [],
  };
}

function outcome(attempts: Attempt[]): Outcome {
  const success = attempts.at(-1)?.diagnosis.kind === "ok";
  return {
    runId: "run-1",
    taskId: TASK.id,
    model: "scripted",
    success,
    verified: true,
    code: attempts.at(-1)?.code ?? null,
    attempts,
    hidden: null,
    playbook: { used: [...new Set(attempts.flatMap((each) => each.bullets))], size: 0 },
    usage: { inputTokens: 1, outputTokens: 1, costUsd: 0 },
    durationMs: 1,
  };
}

const INDEX_ERROR: Diagnosis = {
  kind: "runtime",
  message: "test 1 raised IndexError: list index out of range\n  at line 3: return items[5]",
};
const NAME_ERROR: Diagnosis = {
  kind: "runtime",
  message: "NameError: name 'math' is not defined (line 2: return math.pi)",
};
const OK: Diagnosis = { kind: "ok", message: "all 1 tests passed" };

describe("error signatures", () => {
  test("keep the kind and exception, blank what is task-specific", () => {
    expect(errorSignature(INDEX_ERROR)).toBe("runtime:IndexError:list index out of range");
    expect(errorSignature(NAME_ERROR)).toBe("runtime:NameError:name _ is not defined");
    expect(
      errorSignature({
        kind: "runtime",
        message: "test_1 raised NameError: name 'y' is not defined (2 of 3 tests failed)",
      }),
    ).toBe("runtime:NameError:name _ is not defined");
    expect(errorSignature({ kind: "syntax", message: "SyntaxError: expected ':' (line 1: def f(x))" })).toBe(
      "syntax:SyntaxError:expected _",
    );
    expect(errorSignature({ kind: "test_failure", message: "x", expected: "40", actual: "None" })).toBe(
      "test_failure:returned None",
    );
    expect(errorSignature({ kind: "test_failure", message: "x", expected: "[1, 2]", actual: "(1, 2)" })).toBe(
      "test_failure:tuple instead of list",
    );
    expect(errorSignature({ kind: "test_failure", message: "x", expected: "40", actual: "41" })).toBe(
      "test_failure:wrong int",
    );
    expect(errorSignature({ kind: "no_code", message: "the answer contained no code" })).toBe("no_code");
    expect(errorSignature(OK)).toBeNull();
  });
});

describe("leakage filter", () => {
  const facts = {
    id: TASK.id,
    prompt: "Count the words in 'hello world' and return 12345 plus the length.",
    entryPoint: "count_words",
    starter: null,
    tests: 'assert count_words("a b") == [2, 3]\n',
  };
  test("refuses the task's names, strings, numbers and expected outputs", () => {
    expect(leakOf("Call count_words on each part.", facts)).toMatch(/names the task's function count_words/);
    expect(leakOf("Split 'hello world' on spaces.", facts)).toMatch(/repeats the task's string "hello world"/);
    expect(leakOf("Add 12345 at the end.", facts)).toMatch(/repeats the task's number 12345/);
    expect(leakOf("Return [2,3] for two words.", facts)).toMatch(/repeats an expected output/);
    expect(leakOf("This is about Mbpp/17.", facts)).toMatch(/names the task/);
    // What the embedded model wrote as a reflector, for a task about reversing words.
    expect(
      leakOf("Write a function to reverse words in a given string.", {
        ...facts,
        prompt: "Write a function to reverse words seperated by spaces in a given string.",
      }),
    ).toBe("it restates the task");
  });
  test("lets general lessons through", () => {
    expect(leakOf("Split text on whitespace with str.split() before counting.", facts)).toBeNull();
    expect(leakOf("Return the result with `return`; do not print it.", facts)).toBeNull();
  });
});

describe("selection", () => {
  function playbook(): Playbook {
    return applyDeltas(
      emptyPlaybook(),
      [
        add(), // pit-0001: IndexError
        add({
          section: "strategies",
          content: "Trace each example through the code by hand before answering.",
          triggers: { errors: [], tags: [], keywords: [] },
        }),
        add({
          section: "environment",
          content: "Import math at the top of the code before using it.",
          triggers: { errors: ["runtime:NameError:name _ is not defined"], tags: [], keywords: [] },
        }),
        add({
          section: "strategies",
          content: "In JavaScript, use === for comparisons.",
          language: "javascript",
          triggers: { errors: [], tags: [], keywords: [] },
        }),
        add(
          {
            section: "strategies",
            content: "Prefer a comprehension over an explicit loop.",
            triggers: { errors: [], tags: [], keywords: [] },
          },
          "candidate",
        ),
      ],
      TEST_SOURCE,
    );
  }
  const request = { language: "python" as const, text: TASK.prompt, tags: ["mbpp"] };

  test("a repair gets the bullets triggered by its failure first", () => {
    const chosen = selectBullets(
      playbook(),
      { ...request, failure: "runtime:IndexError:list index out of range" },
      { budgetTokens: 1000 },
    );
    expect(chosen[0]?.id).toBe("pit-0001");
    expect(chosen.map((bullet) => bullet.id)).toContain("str-0001");
    expect(chosen.map((bullet) => bullet.id)).not.toContain("str-0002"); // another language
    expect(chosen.map((bullet) => bullet.id)).not.toContain("str-0003"); // a candidate
    // Error-specific bullets for other failures wait for their failure.
    expect(chosen.map((bullet) => bullet.id)).not.toContain("env-0001");
  });

  test("the budget is hard; candidates on trial come first", () => {
    const book = playbook();
    const one = bulletTokens(book.bullets[0] as never);
    const chosen = selectBullets(
      book,
      { ...request, failure: "runtime:IndexError:list index out of range" },
      { budgetTokens: one },
    );
    expect(chosen.map((bullet) => bullet.id)).toEqual(["pit-0001"]);
    expect(selectBullets(book, request, { budgetTokens: 5 })).toEqual([]);
    const trial = selectBullets(book, request, { budgetTokens: 1000, include: ["str-0003"] });
    expect(trial[0]?.id).toBe("str-0003");
  });

  test("utility orders bullets: one that failed when shown falls behind", () => {
    let book = applyDeltas(
      emptyPlaybook(),
      [
        add({
          section: "strategies",
          content: "Handle the empty input before anything else.",
          triggers: { errors: [], tags: [], keywords: [] },
        }),
        add({
          section: "strategies",
          content: "Name variables after what they hold.",
          triggers: { errors: [], tags: [], keywords: [] },
        }),
      ],
      TEST_SOURCE,
    );
    const order = () => selectBullets(book, request, { budgetTokens: 1000 }).map((bullet) => bullet.id);
    book = applyDeltas(
      book,
      Array.from({ length: 4 }, () => ({ op: "OBSERVE" as const, shown: ["str-0001"], passed: false })),
      TEST_SOURCE,
    );
    expect(order()).toEqual(["str-0002", "str-0001"]);
    book = applyDeltas(
      book,
      Array.from({ length: 9 }, () => ({ op: "OBSERVE" as const, shown: ["str-0001"], passed: true })),
      TEST_SOURCE,
    );
    expect(order()).toEqual(["str-0001", "str-0002"]);
  });

  test("diversified across sections", () => {
    const drafts = ["Check bounds first.", "Check for None first.", "Check types first."].map((content) =>
      add({
        section: "pitfalls",
        content: `${content} Then continue.`,
        triggers: { errors: [], tags: [], keywords: [] },
      }),
    );
    const book = applyDeltas(
      emptyPlaybook(),
      [
        ...drafts,
        add({
          section: "strategies",
          content: "Trace the examples by hand.",
          triggers: { errors: [], tags: [], keywords: [] },
        }),
      ],
      TEST_SOURCE,
    );
    const chosen = selectBullets(book, request, { budgetTokens: 1000 });
    expect(
      chosen
        .slice(0, 2)
        .map((bullet) => bullet.section)
        .sort(),
    ).toEqual(["pitfalls", "strategies"]);
  });

  test("a lesson drawn from a failure waits for that failure; a snippet waits for a task like its own", () => {
    const book = applyDeltas(
      emptyPlaybook(),
      [
        add({
          section: "strategies",
          content: "Return exactly the type the examples show (a float, not an int).",
          triggers: { errors: ["test_failure:int instead of float"], tags: [], keywords: ["perimeter", "square"] },
        }),
        add({
          section: "snippets",
          content: "A tested helper, side_sum(a), to reuse when it fits.",
          snippet: "def side_sum(a):\n    return a + a",
          triggers: { errors: [], tags: [], keywords: ["perimeter", "square", "side"] },
        }),
      ],
      TEST_SOURCE,
    );
    const ids = (chosen: { id: string }[]) => chosen.map((bullet) => bullet.id);
    const budget = { budgetTokens: 1000 };
    // A first attempt at a task about the same things: the snippet, not the lesson about a failure it has not had.
    expect(ids(selectBullets(book, request, budget))).toEqual(["snp-0001"]);
    // Its repair after that failure: the lesson first.
    expect(ids(selectBullets(book, { ...request, failure: "test_failure:int instead of float" }, budget))).toEqual([
      "str-0001",
      "snp-0001",
    ]);
    // A task about other things: nothing, first attempt or repair of another failure.
    const other = { ...request, text: "Write a function to reverse the words of a sentence." };
    expect(ids(selectBullets(book, other, budget))).toEqual([]);
    expect(
      ids(selectBullets(book, { ...other, failure: "runtime:IndexError:list index out of range" }, budget)),
    ).toEqual([]);
  });

  test("a shared tag orders snippets but admits none whose words do not fit the task", () => {
    const book = applyDeltas(
      emptyPlaybook(),
      [
        add({
          section: "snippets",
          content: "A tested helper, side_sum(a), to reuse when it fits.",
          snippet: "def side_sum(a):\n    return a + a",
          triggers: { errors: [], tags: ["difficulty:easy"], keywords: ["perimeter", "square", "side"] },
        }),
      ],
      TEST_SOURCE,
    );
    const budget = { budgetTokens: 1000 };
    const easy = { ...request, tags: ["difficulty:easy"] };
    expect(selectBullets(book, easy, budget).map((bullet) => bullet.id)).toEqual(["snp-0001"]);
    const unrelated = { ...easy, text: "Write a function to reverse the words of a sentence." };
    expect(selectBullets(book, unrelated, budget)).toEqual([]);
  });
});

describe("reflector (deterministic)", () => {
  test("a failure becomes a lesson triggered by its signature; a fix is recorded", () => {
    const run = outcome([
      attempt(1, "def square_perimeter(a):\n    return math.pi", NAME_ERROR),
      attempt(2, "import math\ndef square_perimeter(a):\n    return 4 * a", OK),
    ]);
    const reflection = reflect(TASK, run, emptyPlaybook());
    expect(reflection.solved).toBe(true);
    expect(reflection.failures).toEqual([
      { n: 1, kind: "runtime", signature: "runtime:NameError:name _ is not defined", message: NAME_ERROR.message },
    ]);
    expect(reflection.fix).toEqual({
      from: 1,
      to: 2,
      added: ["import math", "return 4 * a"],
      removed: ["return math.pi"],
    });
    expect(reflection.insights[0]).toMatchObject({
      section: "environment",
      content: "Import math at the top of the code before using it.",
      errors: ["runtime:NameError:name _ is not defined"],
      source: "rules",
    });
    expect(reflection.insights[0]?.evidence).toMatch(
      /Attempt 2 passed after changing: - return math.pi; \+ import math/,
    );
  });

  test("helpers of passing code become snippets; the entry point does not", () => {
    const code = "def double(x):\n    return 2 * x\n\ndef square_perimeter(a):\n    return double(double(a))\n";
    const reflection = reflect(TASK, outcome([attempt(1, code, OK)]), emptyPlaybook());
    expect(reflection.insights).toHaveLength(1);
    expect(reflection.insights[0]).toMatchObject({ section: "snippets", snippet: "def double(x):\n    return 2 * x" });
  });

  test("a bullet shown for a failure is marked helpful when the repair got past it, harmful when it came back", () => {
    const book = applyDeltas(emptyPlaybook(), [add()], TEST_SOURCE);
    const fixed = reflect(TASK, outcome([attempt(1, "x", INDEX_ERROR), attempt(2, "y", OK, ["pit-0001"])]), book);
    expect(fixed.marks).toEqual([expect.objectContaining({ id: "pit-0001", tag: "helpful" })]);
    const again = reflect(
      TASK,
      outcome([attempt(1, "x", INDEX_ERROR), attempt(2, "y", INDEX_ERROR, ["pit-0001"])]),
      book,
    );
    expect(again.marks).toEqual([expect.objectContaining({ id: "pit-0001", tag: "harmful" })]);
  });
});

describe("curator", () => {
  const facts = {
    id: TASK.id,
    prompt: TASK.prompt,
    entryPoint: TASK.entryPoint,
    starter: null,
    tests: "assert square_perimeter(10) == 40\n",
    language: "python" as const,
  };
  const at = { run: "run-1", at: new Date("2026-12-01T00:00:00Z") };

  function reflectionWith(insights: Reflection["insights"], overrides: Partial<Reflection> = {}): Reflection {
    return {
      taskId: TASK.id,
      solved: false,
      failures: [],
      fix: null,
      shown: [],
      keywords: ["perimeter", "square"],
      tags: ["mbpp"],
      insights,
      marks: [],
      ...overrides,
    };
  }
  const insight = (content: string, errors: string[] = ["runtime:IndexError:list index out of range"]) => ({
    section: "pitfalls" as const,
    content,
    snippet: null,
    errors,
    evidence: "e",
    source: "rules",
    pythonOnly: true,
  });

  test("records the run, adds new lessons as candidates, refuses leaks", async () => {
    const curation = await curate(
      emptyPlaybook(),
      reflectionWith([
        insight("Check indexes against the length before using them."),
        insight("Multiply the side of square_perimeter by four."),
      ]),
      facts,
      at,
    );
    expect(curation.deltas.map((delta) => delta.op)).toEqual(["OBSERVE", "ADD"]);
    expect(curation.deltas[1]).toMatchObject({
      op: "ADD",
      status: "candidate",
      bullet: { language: "python", provenance: { tasks: ["Mbpp/17"], run: "run-1", reflector: "rules" } },
    });
    expect(curation.rejected).toEqual([
      {
        content: "Multiply the side of square_perimeter by four.",
        reason: "leaks the task: it names the task's function square_perimeter",
      },
    ]);
  });

  test("a lesson the playbook already has adds its new trigger, or nothing", async () => {
    const book = applyDeltas(emptyPlaybook(), [add()], TEST_SOURCE);
    const same = await curate(
      book,
      reflectionWith([insight("Check indexes against the length before using them!")]),
      facts,
      at,
    );
    expect(same.deltas.map((delta) => delta.op)).toEqual(["OBSERVE"]);
    expect(same.rejected[0]?.reason).toBe("already in the playbook as pit-0001");
    const newTrigger = await curate(
      book,
      reflectionWith([
        insight("Check the indexes against the length before using them.", [
          "runtime:IndexError:string index out of range",
        ]),
      ]),
      facts,
      at,
    );
    expect(newTrigger.deltas[1]).toMatchObject({
      op: "UPDATE",
      id: "pit-0001",
      triggers: { errors: ["runtime:IndexError:string index out of range"] },
    });
  });

  test("a lesson like a rule shown to every task adds no trigger to it, which would make it wait for a failure", async () => {
    const rule = add({
      section: "strategies",
      content: "Check indexes against the length before using them.",
      triggers: { errors: [], tags: [], keywords: [] },
    });
    const book = applyDeltas(emptyPlaybook(), [rule], TEST_SOURCE);
    const curation = await curate(
      book,
      reflectionWith([{ ...insight("Check indexes against the length before using them!"), section: "strategies" }]),
      facts,
      at,
    );
    expect(curation.deltas.map((delta) => delta.op)).toEqual(["OBSERVE"]);
    expect(curation.rejected[0]?.reason).toBe("already in the playbook as str-0001");
  });

  test("at most maxChanges lessons per task", async () => {
    const lessons = [
      "Guard every division against zero.",
      "Give recursion a base case.",
      "Close every bracket you open.",
      "Return the result, never print it.",
    ];
    const curation = await curate(
      emptyPlaybook(),
      reflectionWith(lessons.map((content) => insight(content, []))),
      facts,
      at,
      { maxChanges: 2 },
    );
    expect(curation.deltas.filter((delta) => delta.op === "ADD")).toHaveLength(2);
    expect(curation.rejected.map((entry) => entry.reason)).toEqual([
      "over the limit of 2 changes per task",
      "over the limit of 2 changes per task",
    ]);
  });
});

describe("retirement", () => {
  test("retires the harmful, the failed candidates, the measured-negative and the least useful past the cap", () => {
    let book = applyDeltas(
      emptyPlaybook(),
      [
        add({ content: "Harmful lesson number one." }),
        add({ content: "Candidate that failed trials." }, "candidate"),
        add({ content: "Lesson with a negative effect." }),
        add({ content: "A good lesson that helps." }),
      ],
      TEST_SOURCE,
    );
    book = applyDeltas(
      book,
      [
        ...Array.from({ length: 3 }, () => ({
          op: "TAG" as const,
          id: "pit-0001",
          tag: "harmful" as const,
          reason: "r",
        })),
        ...Array.from({ length: 2 }, () => ({
          op: "TAG" as const,
          id: "pit-0002",
          tag: "failed-trial" as const,
          reason: "r",
        })),
        ...Array.from({ length: 8 }, () => ({ op: "OBSERVE" as const, shown: ["pit-0003"], passed: false })),
        ...Array.from({ length: 8 }, () => ({ op: "OBSERVE" as const, shown: ["pit-0004"], passed: true })),
      ],
      TEST_SOURCE,
    );
    expect(effectOf(book.bullets[2] as never, book)).toBeCloseTo(1 / 10 - 9 / 10);
    const deltas = retirements(book);
    expect(deltas).toEqual([
      { op: "UPDATE", id: "pit-0001", status: "retired", reason: "marked harmful 3 times (helpful 0)" },
      { op: "UPDATE", id: "pit-0002", status: "retired", reason: "failed admission 2 times" },
      { op: "UPDATE", id: "pit-0003", status: "retired", reason: "measured effect -0.80 on the pass rate" },
    ]);
    // Repairs it got past outweigh the observed pass rate.
    const helped = applyDeltas(book, [{ op: "TAG", id: "pit-0003", tag: "helpful", reason: "r" }], TEST_SOURCE);
    expect(retirements(helped).map((delta) => (delta as { id: string }).id)).toEqual(["pit-0001", "pit-0002"]);
    const capped = retirements(applyDeltas(book, deltas, TEST_SOURCE), { maxActive: 0 });
    expect(capped).toEqual([
      {
        op: "UPDATE",
        id: "pit-0004",
        status: "retired",
        reason: "over the cap of 0 active bullets, and the least useful",
      },
    ]);
  });
});

describe("reflector model", () => {
  test("adds its lessons to the rules'; its facts hold no hidden tests; leaky lessons are refused", async () => {
    const reflector = scripted([
      'Here you go: {"lessons":[{"section":"strategies","content":"Multiply the side by four to get a perimeter."},' +
        '{"section":"pitfalls","content":"Call square_perimeter with an int."}]}',
    ]);
    const generator = scripted([]);
    const playbookPath = join(mkdtempSync(join(tmpdir(), "litmus-reflector-")), "playbook.json");
    const learner = new Learner({
      playbookPath,
      model: generator.model,
      reflectorModel: reflector.model,
      sourceKind: "test",
      admission: { enabled: false },
    });
    const hidden: Task = { ...TASK, hiddenTests: { kind: "code", code: "assert square_perimeter(99) == 396\n" } };
    const step = await learner.learnFrom(
      hidden,
      outcome([
        attempt(1, "def square_perimeter(a):\n    return a", {
          kind: "test_failure",
          message: "x",
          expected: "40",
          actual: "10",
        }),
      ]),
      "s1",
    );
    const facts = userText(reflector.fake.calls[0]);
    expect(facts).toContain("assert square_perimeter(10) == 40");
    expect(facts).not.toContain("square_perimeter(99)");
    expect(step.rejected).toEqual([
      {
        content: "Call square_perimeter with an int.",
        reason: "leaks the task: it names the task's function square_perimeter",
      },
    ]);
    const playbook = await readPlaybook(playbookPath);
    expect(playbook.bullets.map((bullet) => [bullet.content, bullet.status, bullet.provenance.reflector])).toEqual([
      [
        "Before answering, run each example through the code by hand, including empty and one-item inputs.",
        "active",
        "rules",
      ],
      ["Multiply the side by four to get a perimeter.", "active", "scripted:test"],
    ]);
  });
});
