import { chmodSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { RunStore } from "../../src/store/index.ts";
import { litmus } from "../helpers/cli.ts";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";

const unavailable = sandboxUnavailableReason();
const TASK = "Write a function add(a, b) that returns the sum of a and b.";

describe.skipIf(unavailable)(
  `litmus review with the embedded model (${unavailable ?? "real model"})`,
  { timeout: 240_000 },
  () => {
    test("in the terminal: reject with feedback, then edit in $EDITOR; the edit runs and is saved", async () => {
      const dir = mkdtempSync(join(tmpdir(), "litmus-review-cli-"));
      const tests = join(dir, "t.py");
      writeFileSync(tests, "assert add(2, 3) == 5\n");
      // An editor that a script drives: it replaces the draft with a known-good function.
      const editor = join(dir, "editor.sh");
      writeFileSync(editor, '#!/bin/sh\nprintf "def add(a, b):\\n    return b + a\\n" > "$1"\n');
      chmodSync(editor, 0o755);
      const env = { ...process.env, LITMUS_DATA_DIR: dir, EDITOR: editor, VISUAL: "" };
      const run = await litmus(["review", TASK, "--tests", tests, "--as", "ada", "--max-tokens", "96"], {
        env,
        stdin: "r\nuse the + operator\ne\n",
      });
      expect(run.stderr).toContain("what is wrong? drafting again…\n");
      expect(run.stderr).toMatch(/review [0-9a-f-]{36}, draft 2:/);
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/\npassed\nartifact: .*review-[0-9a-f-]{36}\.tar\.gz\n$/);
      using store = RunStore.open(join(dir, "runs.db"));
      const [review] = store.reviews.list();
      expect(store.reviews.events(review?.id ?? "").map((event) => [event.kind, event.actor])).toEqual([
        ["drafted", "litmus"],
        ["rejected", "ada"],
        ["drafted", "litmus"],
        ["edited", "ada"],
        ["executed", "litmus"],
      ]);
      expect(store.reviews.events(review?.id ?? "")[1]?.reason).toBe("use the + operator");
    });

    test("started in one process, approved from another later, run and saved", async () => {
      const dir = mkdtempSync(join(tmpdir(), "litmus-review-cli-"));
      const env = { ...process.env, LITMUS_DATA_DIR: dir };
      const first = await litmus(["review", TASK, "--max-tokens", "96"], { env, stdin: "q\n" });
      expect(first.code).toBe(1);
      const id = /left pending: litmus review approve ([0-9a-f-]{36})/.exec(first.stderr)?.[1];
      expect(id).toBeDefined();
      const pending = await litmus(["review", "list", "--status", "pending", "--json"], { env });
      expect(JSON.parse(pending.stdout).map((review: { id: string }) => review.id)).toEqual([id]);
      const approved = await litmus(["review", "approve", id ?? "", "--as", "grace", "--reason", "fine", "--json"], {
        env,
      });
      expect(approved.code).toBe(0);
      const summary = JSON.parse(approved.stdout);
      expect([summary.status, summary.approved.by, summary.approved.edited]).toEqual(["done", "grace", false]);
      expect(existsSync(summary.artifact.path)).toBe(true);
      const again = await litmus(["review", "approve", id ?? ""], { env });
      expect([again.code, again.stderr]).toEqual([
        2,
        `litmus: review ${id} is done, not pending: it cannot be approved now\n`,
      ]);
      const missing = await litmus(["review", "show", "nope"], { env });
      expect([missing.code, missing.stderr]).toEqual([
        2,
        `litmus: no review nope in ${join(dir, "runs.db")} (see litmus review list)\n`,
      ]);
    });
  },
);
