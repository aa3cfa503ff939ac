import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { type BenchTask, type Dataset, loadDataset, selectTasks } from "../../src/bench/index.ts";
import { isLitmusError } from "../../src/errors.ts";
import { Learner, type MeasureProgress, measureLearning, readPlaybook, runLearning } from "../../src/learn/index.ts";
import type { Task } from "../../src/loop/index.ts";
import { RunStore } from "../../src/store/index.ts";
import { DATASETS_DIR, datasetsUnavailableReason } from "../helpers/datasets.ts";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";
import { scripted, userText } from "../helpers/scripted-model.ts";

const missing = sandboxUnavailableReason();
const fenced = (code: string) => `\`\`\`python\n${code}\n\`\`\``;

function task(id: string, prompt: string, visible: string, hidden: string | null = null): Task {
  return {
    id,
    prompt,
    language: "python",
    entryPoint: id,
    signature: `def ${id}(x):`,
    starter: null,
    solution: null,
    tags: [],
    tests: { kind: "code", code: `${visible}\n` },
    hiddenTests: hidden ? { kind: "code", code: `${hidden}\n` } : null,
    limits: {},
  };
}

const DOUBLE = task(
  "double",
  "Write a function double(x) that returns twice x.",
  "assert double(2) == 4",
  "assert double(21) == 42",
);
const HALVE = task("halve", "Write a function halve(x) that returns half of x, rounded down.", "assert halve(8) == 4");
const TRIPLE = task(
  "triple",
  "Write a function triple(x) that returns three times x.",
  "assert triple(2) == 6",
  "assert triple(7) == 21",
);
const QUARTER = task("quarter", "Write a function quarter(x) that returns a quarter of x.", "assert quarter(8) == 2");

describe.skipIf(missing)(
  `learning with a scripted model (${missing ?? "real sandboxes"})`,
  { timeout: 120_000 },
  () => {
    test("generate, reflect, curate, admit: a lesson fixes its task, is admitted, then shown to repair the same failure elsewhere", async () => {
      using store = RunStore.open(":memory:");
      const playbookPath = join(mkdtempSync(join(tmpdir(), "litmus-learn-")), "playbook.json");
      const { model, fake } = scripted([
        // double: attempt 1 forgets the import, attempt 2 has it.
        fenced("def double(x):\n    return math.floor(x) * 2"),
        fenced("import math\ndef double(x):\n    return math.floor(x) * 2"),
        // Admission: double re-run with the candidate shown passes; there is nothing to replay yet.
        fenced("import math\ndef double(x):\n    return 2 * x"),
        // halve passes at once (the import lesson does not fit it, so it is not shown).
        fenced("def halve(x):\n    return x // 2"),
        // triple makes double's mistake; its repair prompt carries the admitted lesson.
        fenced("def triple(x):\n    return math.floor(x) * 3"),
        fenced("import math\ndef triple(x):\n    return 3 * x"),
        // quarter divides by zero twice; the lesson about it passes quarter's re-run but breaks triple on replay.
        fenced("def quarter(x):\n    return x / 0"),
        // (A repair repeating earlier code would be drawn again: this one differs, and fails the same way.)
        fenced("def quarter(x):\n    return (x / 0)"),
        fenced("def quarter(x):\n    return x / 4"),
        fenced("def triple(x):\n    return x"),
        "I cannot fix it.",
      ]);
      const learner = new Learner({ playbookPath, model, store, sourceKind: "test", solve: { maxAttempts: 2 } });

      const first = await learner.run(DOUBLE, "s1");
      expect(first).toMatchObject({
        solved: true,
        attempts: 2,
        added: ["env-0001"],
        admitted: ["env-0001"],
        trialRuns: 1,
      });
      expect(first.reflection.fix).toMatchObject({ from: 1, to: 2, added: ["import math"] });
      expect((await learner.run(HALVE, "s2")).shown).toEqual([]);
      const third = await learner.run(TRIPLE, "s3");
      expect(third).toMatchObject({ solved: true, shown: ["env-0001"], added: [] });
      expect(third.rejected).toEqual([
        {
          content: "Import math at the top of the code before using it.",
          reason: "already in the playbook as env-0001",
        },
      ]);
      const fourth = await learner.run(QUARTER, "s4");
      expect(fourth).toMatchObject({ solved: false, added: ["pit-0001"], admitted: [], trialRuns: 2 });

      // A replay runs the loop like any run: triple's replay failed both its attempts.
      expect(fake.calls).toHaveLength(11);
      const prompts = fake.calls.map(userText);
      expect(prompts[3]).not.toContain("Import math");
      expect(prompts[4]).not.toContain("Import math");
      expect(prompts[5]).toContain("[env-0001] Import math at the top of the code before using it.");
      expect(prompts[8]).toContain("[pit-0001] Guard every division and modulo against a zero divisor.");
      // Hidden tests never reach the model.
      for (const prompt of prompts) expect(prompt).not.toMatch(/double\(21\)|triple\(7\)/);

      const playbook = await readPlaybook(playbookPath);
      const [importLesson, divisionLesson] = playbook.bullets;
      expect(importLesson).toMatchObject({
        id: "env-0001",
        status: "active",
        language: "python",
        triggers: { errors: ["runtime:NameError:name _ is not defined"], keywords: ["double", "twice"] },
        provenance: { tasks: ["double"], reflector: "rules" },
        stats: { shown: 1, passedWhenShown: 1, helpful: 1, harmful: 0 },
      });
      expect(divisionLesson).toMatchObject({ id: "pit-0001", status: "candidate", stats: { failedTrials: 1 } });
      expect(playbook.counters).toEqual({ runs: 4, passed: 3 });
      // The store mirrors the log; the replay set holds the solved tasks, without their hidden tests.
      expect(store.learn.deltas(playbook.id).map((entry) => entry.version)).toEqual(
        playbook.log.map((entry) => entry.version),
      );
      const replay = store.learn.replayTasks(playbook.id, 10);
      expect(replay.map((entry) => entry.taskId).sort()).toEqual(["double", "halve", "triple"]);
      for (const entry of replay) expect((entry.task as Task).hiddenTests).toBeNull();
    });
  },
);

describe.skipIf(missing ?? datasetsUnavailableReason())(
  "litmus learn's run (real sandboxes, MBPP)",
  { timeout: 120_000 },
  () => {
    let mbpp: Dataset;
    let tasks: BenchTask[];
    beforeAll(async () => {
      mbpp = await loadDataset("mbpp", { datasetsDir: DATASETS_DIR, download: false });
      tasks = selectTasks(mbpp.tasks, { tasks: ["2", "3", "4"] }, "mbpp");
    });
    // Defines every entry point, each failing on a missing import: the same lesson for every task.
    // Each answer differs (a repair repeating earlier code would be drawn again), and fails the same way.
    let answers = 0;
    const forgetful = () =>
      fenced(
        ["similar_elements", "is_not_prime", "heap_queue_largest"]
          .map((name) => `def ${name}(*args):\n    # answer ${++answers}\n    return math.pi`)
          .join("\n"),
      );

    /** A small learn eval: learning on `train` tasks, one attempt a sample, no curve. */
    const measure = (
      settings: { store: RunStore; playbookPath: string; model: ReturnType<typeof scripted>["model"] },
      train: BenchTask[],
      heldOut: BenchTask[],
      onProgress: (event: MeasureProgress) => void = () => {},
    ) =>
      measureLearning({
        ...settings,
        train: { name: "mbpp", dataset: mbpp, tasks: train },
        heldOut: heldOut.length > 0 ? [{ name: "mbpp", dataset: mbpp, tasks: heldOut }] : [],
        curve: { every: 1, tasks: 0 },
        seeds: [1],
        maxAttempts: 1,
        onProgress,
      });

    test("learn eval shows its held-out progress sample by sample, not only when an arm's run ends", async () => {
      using store = RunStore.open(":memory:");
      const playbookPath = join(mkdtempSync(join(tmpdir(), "litmus-learn-")), "playbook.json");
      const { model } = scripted(Array.from({ length: 40 }, forgetful));
      const steps: number[] = [];
      const details: string[] = [];
      let total = 0;
      await measure({ store, playbookPath, model }, tasks.slice(0, 1), tasks.slice(1), (event) => {
        if (event.phase !== "held-out") return;
        if (event.type === "phase") total = event.total;
        else {
          steps.push(event.done);
          details.push(event.detail);
        }
      });
      // Two tasks in each of four arms: every sample moves the bar, never backwards.
      expect(total).toBe(8);
      expect(new Set(steps)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8]));
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
      // Each sample's line names its task and verdict.
      for (const detail of details) {
        expect(detail).toMatch(/^mbpp seed 1 (none|learned|placebo|retries)(: Mbpp\/\d+ [a-z_]+|: pass@1 [\d.]+%)?$/);
      }
    });

    test("learn eval learns from an empty playbook, resumed or refused, never on top of another run's", async () => {
      using store = RunStore.open(":memory:");
      const playbookPath = join(mkdtempSync(join(tmpdir(), "litmus-learn-")), "playbook.json");
      const model = scripted(Array.from({ length: 10 }, forgetful)).model;
      await measure({ store, playbookPath, model }, tasks.slice(0, 1), tasks.slice(1, 2));
      // Resumed: the step learned before fills the bar, marked so the ETA does not count it.
      const learnSteps: MeasureProgress[] = [];
      const again = scripted([]);
      await measure({ store, playbookPath, model: again.model }, tasks.slice(0, 1), tasks.slice(1, 2), (event) => {
        if (event.phase === "learn" && event.type === "step") learnSteps.push(event);
      });
      expect(again.fake.calls).toHaveLength(0);
      expect(learnSteps[0]).toMatchObject({ done: 1, resumed: true });
      // Other settings (more training tasks) are another learning run: it is refused the playbook the first wrote.
      const refused = await measure({ store, playbookPath, model: scripted([]).model }, tasks.slice(0, 2), []).catch(
        (error: unknown) => error,
      );
      expect(isLitmusError(refused, "BAD_INPUT")).toBe(true);
      expect((refused as Error).message).toMatch(/already holds what another learning run learned \(version \d+\)/);
    });

    test("a run that dies after its playbook changed resumes without applying a step twice", async () => {
      using store = RunStore.open(":memory:");
      const playbookPath = join(mkdtempSync(join(tmpdir(), "litmus-learn-")), "playbook.json");
      const settings = { dataset: mbpp, tasks, store, playbookPath, maxAttempts: 2 };
      // The first step is curated, then the model fails during its admission re-run: the step is in the
      // playbook but not in the store.
      const first = scripted([forgetful(), forgetful(), new Error("the model server fell over")]);
      await expect(runLearning({ ...settings, model: first.model })).rejects.toThrow("the model server fell over");
      const afterCrash = await readPlaybook(playbookPath);
      expect(afterCrash.log.filter((entry) => entry.delta.op === "OBSERVE")).toHaveLength(1);

      const second = scripted(Array.from({ length: 8 }, forgetful));
      const events: string[] = [];
      const { summary } = await runLearning({
        ...settings,
        model: second.model,
        onProgress: (event) => {
          if (event.type === "start") events.push(`start ${event.finished}/${event.total} resumed=${event.resumed}`);
          if (event.type === "step") events.push(event.step.taskId);
        },
      });
      // The crashed step was recovered from the log, not run again: two steps remain, each of two attempts and
      // a trial (two attempts) of the candidate their failure proposes again.
      expect(second.fake.calls).toHaveLength(8);
      expect(events[0]).toBe("start 1/3 resumed=true");
      expect(events).toHaveLength(3);
      const playbook = await readPlaybook(playbookPath);
      const observed = playbook.log.filter((entry) => entry.delta.op === "OBSERVE").map((entry) => entry.source.step);
      expect(observed).toHaveLength(3);
      expect(new Set(observed).size).toBe(3);
      expect(summary).toMatchObject({
        tasks: 3,
        epochs: [{ epoch: 1, solved: 0, tasks: 3 }],
        // Two failed trials retire the candidate.
        bullets: { active: 0, candidate: 0, retired: 1 },
        trialRuns: 2,
      });
      expect(playbook.bullets.map((bullet) => bullet.content)).toEqual([
        "Import math at the top of the code before using it.",
      ]);
      // Finished: running it again does nothing.
      const third = scripted([]);
      await runLearning({ ...settings, model: third.model });
      expect(third.fake.calls).toHaveLength(0);
    });
  },
);
