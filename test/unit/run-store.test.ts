import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { RunStore, type RunToSave } from "../../src/store/index.ts";

function run(id: string, overrides: Partial<RunToSave> = {}): RunToSave {
  return {
    id,
    kind: "solve",
    taskId: "palindrome",
    model: "local",
    success: true,
    verified: true,
    attempts: 1,
    costUsd: 0,
    durationMs: 1234,
    attemptDocuments: [{ n: 1, diagnosisKind: "ok", document: { n: 1, code: "x = 1\n" } }],
    document: { outcome: { attempts: [{ n: 1 }] } },
    ...overrides,
  };
}

describe("run store (SQLite)", () => {
  test("runs survive reopening; newest first; a unique id prefix finds one", () => {
    const path = join(mkdtempSync(join(tmpdir(), "litmus-store-")), "nested", "runs.db");
    const first = RunStore.open(path);
    first.save(run("aaaa-1111"));
    first.save(run("aaab-2222", { success: false, costUsd: null, attempts: 3 }));
    first.close();
    using store = RunStore.open(path);
    expect(store.list().map((summary) => [summary.id, summary.success, summary.costUsd, summary.attempts])).toEqual([
      ["aaab-2222", false, null, 3],
      ["aaaa-1111", true, 0, 1],
    ]);
    expect(store.get("aaab")?.summary.id).toBe("aaab-2222");
    expect(store.get("aaaa-1111")?.document).toEqual({ outcome: { attempts: [{ n: 1 }] } });
    expect(store.get("aaa")).toBeNull();
    expect(store.get("zzz")).toBeNull();
  });

  test("a run is saved whole or not at all", () => {
    using store = RunStore.open(":memory:");
    const duplicateAttempts = run("r1", {
      attemptDocuments: [
        { n: 1, diagnosisKind: "ok", document: {} },
        { n: 1, diagnosisKind: "ok", document: {} },
      ],
    });
    expect(() => store.save(duplicateAttempts)).toThrow(/UNIQUE constraint failed: attempts.run_id, attempts.n/);
    expect(store.list()).toEqual([]);
  });
});
