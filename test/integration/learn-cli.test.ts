import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { applyDeltas, emptyPlaybook, readPlaybook, writePlaybook } from "../../src/learn/index.ts";
import { RunStore } from "../../src/store/index.ts";
import { litmus, spawnLitmus, waitFor } from "../helpers/cli.ts";
import { DATASETS_DIR, datasetsUnavailableReason } from "../helpers/datasets.ts";
import { add, TEST_SOURCE } from "../helpers/playbooks.ts";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";

async function samplePlaybook(): Promise<string> {
  const path = join(mkdtempSync(join(tmpdir(), "litmus-playbook-")), "playbook.json");
  const playbook = applyDeltas(
    emptyPlaybook({ language: "python", tags: ["mbpp"] }),
    [
      add(), // pit-0001
      add({
        section: "strategies",
        content: "Trace each example through the code by hand.",
        triggers: { errors: [], tags: [], keywords: [] },
      }),
      add(
        {
          section: "snippets",
          content: "A tested helper, is_even(n), to reuse.",
          snippet: "def is_even(n):\n    return n % 2 == 0",
        },
        "candidate",
      ),
      { op: "OBSERVE", shown: ["pit-0001"], passed: true },
      ...Array.from({ length: 3 }, () => ({
        op: "TAG" as const,
        id: "pit-0001",
        tag: "harmful" as const,
        reason: "came back",
      })),
    ],
    TEST_SOURCE,
  );
  await writePlaybook(path, playbook);
  return path;
}

describe("litmus playbook", () => {
  test("show, history and diff read a playbook and its versions", async () => {
    const path = await samplePlaybook();
    const show = await litmus(["playbook", "show", path]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(
      "version 7; 2 active, 1 candidate, 0 retired (python; mbpp); 1 runs observed, 100% passed",
    );
    expect(show.stdout).toMatch(
      /pitfalls\n {2}pit-0001 \[active\] Check indexes against the length before using them\.\n {6}shown 1 \(passed 1\), helpful 0, harmful 3/,
    );
    expect(show.stdout).toContain("      def is_even(n):");
    const atTwo = await litmus(["playbook", "show", path, "--at", "2", "--json"]);
    expect(JSON.parse(atTwo.stdout).bullets.map((bullet: { id: string }) => bullet.id)).toEqual([
      "pit-0001",
      "str-0001",
    ]);

    const history = await litmus(["playbook", "history", path, "--limit", "2"]);
    expect(history.stdout.trim().split("\n")).toEqual([
      expect.stringMatching(/^v6 {2}.* {2}test {2}TAG pit-0001 harmful: came back$/),
      expect.stringMatching(/^v7 {2}.* {2}test {2}TAG pit-0001 harmful: came back$/),
    ]);
    const diff = await litmus(["playbook", "diff", path, "--from", "1", "--to", "4"]);
    expect(diff.stdout).toBe(
      "version 1 -> 4\n+ str-0001 [active] Trace each example through the code by hand.\n+ snp-0001 [candidate] A tested helper, is_even(n), to reuse.\n~ pit-0001: shown 0 -> 1; passedWhenShown 0 -> 1\n",
    );
  });

  test("prune retires what hurts and removes it; rollback brings it back", async () => {
    const path = await samplePlaybook();
    const dry = await litmus(["playbook", "prune", path, "--dry-run"]);
    expect(dry.stdout).toContain("- pit-0001 [active] Check indexes");
    expect((await readPlaybook(path)).version).toBe(7);
    const prune = await litmus(["playbook", "prune", path]);
    expect(prune.code).toBe(0);
    const pruned = await readPlaybook(path);
    expect(pruned.bullets.map((bullet) => bullet.id)).toEqual(["str-0001", "snp-0001"]);
    expect(pruned.log.slice(-2).map((entry) => entry.delta.op)).toEqual(["UPDATE", "REMOVE"]);

    const back = await litmus(["playbook", "rollback", path, "--to", "7"]);
    expect([back.code, back.stderr]).toEqual([0, `litmus playbook: ${path} is back at version 7 (now version 10)\n`]);
    expect(back.stdout).toContain("+ pit-0001 [active] Check indexes");
    expect((await readPlaybook(path)).bullets.map((bullet) => bullet.id)).toEqual(["pit-0001", "str-0001", "snp-0001"]);
  });

  test("export and merge write new playbooks; markdown for people", async () => {
    const path = await samplePlaybook();
    const dir = mkdtempSync(join(tmpdir(), "litmus-export-"));
    const exported = join(dir, "active.json");
    expect((await litmus(["playbook", "export", path, "--out", exported])).code).toBe(0);
    const copy = await readPlaybook(exported);
    expect(copy.bullets.map((bullet) => [bullet.id, bullet.status, bullet.stats.shown])).toEqual([
      ["pit-0001", "active", 0],
      ["str-0001", "active", 0],
    ]);
    const markdown = await litmus(["playbook", "export", path, "--status", "active,candidate", "--format", "markdown"]);
    expect(markdown.stdout).toContain(
      "## Snippets\n\n- **snp-0001** A tested helper, is_even(n), to reuse.\n\n  ```\n  def is_even(n):",
    );

    const merged = join(dir, "merged.json");
    const merge = await litmus(["playbook", "merge", path, exported, "--out", merged]);
    expect(merge.stderr).toBe(`litmus playbook: 3 bullets from 2 playbooks written to ${merged}\n`);
    expect((await readPlaybook(merged)).environment).toEqual({ language: "python", tags: ["mbpp"] });
  });

  test("bad input: a clear reason and exit 2", async () => {
    const path = await samplePlaybook();
    const missing = await litmus(["playbook", "show", join(tmpdir(), "no-such-playbook.json")]);
    expect([missing.code, missing.stderr]).toEqual([
      2,
      expect.stringMatching(/^litmus: no playbook at .*no-such-playbook\.json/),
    ]);
    const version = await litmus(["playbook", "rollback", path, "--to", "99"]);
    expect([version.code, version.stderr]).toEqual([
      2,
      "litmus: version 99 does not exist: the playbook has versions 0 to 7\n",
    ]);
    const notJson = join(mkdtempSync(join(tmpdir(), "litmus-bad-")), "bad.json");
    writeFileSync(notJson, "[1, 2");
    expect((await litmus(["playbook", "history", notJson])).stderr).toMatch(/bad\.json is not JSON/);
    const learnWithout = await litmus(["solve", "write f", "--learn"]);
    expect([learnWithout.code, learnWithout.stderr]).toEqual([
      2,
      "litmus: --learn needs --playbook FILE: the playbook to learn into\n",
    ]);
  });
});

const modelMissing = datasetsUnavailableReason() ?? sandboxUnavailableReason();

describe.skipIf(modelMissing)(
  `litmus learn with the embedded model (${modelMissing ?? "real model"})`,
  { timeout: 600_000 },
  () => {
    test("killed mid-run and resumed: every step applied once; then solve uses and learns into the playbook", async () => {
      const env = {
        ...process.env,
        LITMUS_DATASETS_DIR: DATASETS_DIR,
        LITMUS_DATA_DIR: mkdtempSync(join(tmpdir(), "litmus-data-")),
      };
      const playbook = join(mkdtempSync(join(tmpdir(), "litmus-learned-")), "playbook.json");
      const args = [
        "learn",
        "--dataset",
        "mbpp",
        "--tasks",
        "11,12,14",
        "--playbook",
        playbook,
        "--max-tokens",
        "96",
        "--no-cache",
      ];
      const dbPath = join(env.LITMUS_DATA_DIR, "runs.db");
      const first = spawnLitmus(args, env);
      await waitFor(() => existsSync(dbPath) && learnSteps(dbPath) >= 1, first.stderr, 300_000);
      first.child.kill("SIGKILL");
      await new Promise((resolve) => first.child.once("close", resolve));
      const done = learnSteps(dbPath);
      expect(done).toBeGreaterThanOrEqual(1);

      const second = await litmus([...args, "--json"], { env });
      expect(second.code).toBe(0);
      expect(second.stderr).toMatch(
        new RegExp(`resuming run [0-9a-f]{8}: ${done}/3 steps done \\(local on mbpp, playbook `),
      );
      const summary = JSON.parse(second.stdout);
      expect([summary.tasks, summary.steps.length, summary.model]).toEqual([3, 3, "local"]);
      const learned = await readPlaybook(playbook);
      const observed = learned.log.filter((entry) => entry.delta.op === "OBSERVE").map((entry) => entry.source.step);
      expect(observed).toHaveLength(3);
      expect(new Set(observed).size).toBe(3);

      const tests = join(mkdtempSync(join(tmpdir(), "litmus-tests-")), "tests.py");
      writeFileSync(tests, "assert add(2, 3) == 5\n");
      const solve = await litmus(
        [
          "solve",
          "Write a function add(a, b) that returns the sum of a and b.",
          "--tests",
          tests,
          "--playbook",
          playbook,
          "--learn",
          "--max-attempts",
          "1",
          "--max-tokens",
          "64",
          "--json",
        ],
        { env },
      );
      expect([0, 1]).toContain(solve.code);
      expect(solve.stderr).toMatch(/learned into .*playbook\.json: \d+ new candidates?, \d+ admitted, \d+ retired/);
      const outcome = JSON.parse(solve.stdout);
      expect(outcome.playbook.size).toBe(learned.bullets.length);
      const after = await readPlaybook(playbook);
      expect(after.log.filter((entry) => entry.source.kind === "solve" && entry.delta.op === "OBSERVE")).toHaveLength(
        1,
      );
      expect(readFileSync(playbook, "utf8")).toContain('"format": "litmus-playbook"');
    });
  },
);

function learnSteps(dbPath: string): number {
  using store = RunStore.open(dbPath);
  const run = store.learn.list()[0];
  return run ? store.learn.steps(run.id).length : 0;
}
