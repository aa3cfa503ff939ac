import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extract, list } from "tar";
import { describe, expect, test } from "vitest";
import { parseTask } from "../../src/loop/index.ts";
import { decide, execute, type ReviewDocument, resume, startReview } from "../../src/review/index.ts";
import { RunStore } from "../../src/store/index.ts";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";
import { scripted, userText } from "../helpers/scripted-model.ts";

const unavailable = sandboxUnavailableReason();

// Scripted answers: a test double of the model interface (what it drafts is fixed here, not a model's output).
const WRONG = "```python\ndef add(a, b):\n    return a - b\n```";
const RIGHT = "```python\nimport math\nimport requests\n\ndef add(a, b):\n    return a + b\n\nprint(add(2, 3))\n```";

async function task() {
  return parseTask(
    { id: "add", prompt: "Write add(a, b) that returns the sum.", tests: { asserts: ["assert add(2, 3) == 5"] } },
    { source: "the test" },
  );
}

describe.skipIf(unavailable)(`the review workflow (${unavailable ?? "real sandboxes"})`, { timeout: 60_000 }, () => {
  test("reject with feedback, redraft, then approve after a restart: the approved code runs; the artifact holds it all", async () => {
    const dir = mkdtempSync(join(tmpdir(), "litmus-review-"));
    const dbPath = join(dir, "runs.db");
    const artifactsDir = join(dir, "artifacts");
    const { model, fake } = scripted([WRONG, RIGHT]);

    const first = RunStore.open(dbPath);
    const started = await startReview(await task(), { store: first, model, artifactsDir });
    expect(started.status).toBe("pending");
    const rejected = await decide(
      started.id,
      { kind: "reject", by: "ada", feedback: "add must add, not subtract" },
      { store: first, model, artifactsDir },
    );
    expect(rejected.status).toBe("pending");
    expect(userText(fake.calls[1])).toContain("Reviewer's feedback: add must add, not subtract");
    // Someone who still looks at draft 1 cannot approve draft 2, which they have not seen.
    await expect(
      decide(started.id, { kind: "approve", by: "bob", draft: 1 }, { store: first, artifactsDir }),
    ).rejects.toThrow(`review ${started.id}: draft 1 is not the latest (draft 2 is): look at it before deciding`);
    first.close();

    // Another process, later: the review waits in the store.
    using second = RunStore.open(dbPath);
    expect(second.reviews.list({ statuses: ["pending"] }).map((review) => review.id)).toEqual([started.id]);
    const approved = await decide(
      started.id,
      { kind: "approve", by: "grace", reason: "looks right" },
      { store: second, artifactsDir },
    );
    expect(approved.status).toBe("approved");
    await expect(decide(started.id, { kind: "approve", by: "ada" }, { store: second, artifactsDir })).rejects.toThrow(
      `review ${started.id} is approved, not pending: it cannot be approved now`,
    );
    const done = await execute(started.id, { store: second, artifactsDir });
    const document = done.document as ReviewDocument;
    expect([done.status, document.result?.diagnosis.kind, document.result?.execution.stdout]).toEqual([
      "done",
      "import",
      "",
    ]);
    expect(second.reviews.events(started.id).map((event) => [event.kind, event.actor, event.reason])).toEqual([
      ["drafted", "litmus", null],
      ["rejected", "ada", "add must add, not subtract"],
      ["drafted", "litmus", null],
      ["approved", "grace", "looks right"],
      ["executed", "litmus", null],
    ]);
    const entries: string[] = [];
    await list({ file: document.artifact?.path ?? "", onReadEntry: (entry) => entries.push(entry.path) });
    expect(entries.sort()).toEqual([
      `review-${started.id}/`,
      `review-${started.id}/README.md`,
      `review-${started.id}/main.py`,
      `review-${started.id}/metadata.json`,
      `review-${started.id}/requirements.txt`,
    ]);
    const unpacked = mkdtempSync(join(tmpdir(), "litmus-artifact-"));
    await extract({ file: document.artifact?.path ?? "", cwd: unpacked });
    const folder = join(unpacked, `review-${started.id}`);
    expect(readFileSync(join(folder, "requirements.txt"), "utf8")).toBe("requests\n");
    expect(readFileSync(join(folder, "main.py"), "utf8")).toBe(document.approved?.code);
    const metadata = JSON.parse(readFileSync(join(folder, "metadata.json"), "utf8"));
    expect([metadata.model, metadata.drafts.length, metadata.decisions.length, metadata.result.diagnosis.kind]).toEqual(
      ["scripted:test", 2, 4, "import"],
    );
    expect(metadata.usage).toEqual({ inputTokens: 20, outputTokens: 10, costUsd: 0.00004 });
  });

  test("an edit is what runs, and is recorded; a final rejection cancels", async () => {
    const dir = mkdtempSync(join(tmpdir(), "litmus-review-"));
    using store = RunStore.open(join(dir, "runs.db"));
    const artifactsDir = join(dir, "artifacts");
    const { model } = scripted([WRONG, WRONG]);
    const review = await startReview(await task(), { store, model, artifactsDir });
    const edited = "def add(a, b):\n    return a + b\n";
    await decide(
      review.id,
      { kind: "edit", by: "ada", code: edited, reason: "fixed the sign" },
      { store, artifactsDir },
    );
    const done = await execute(review.id, { store, artifactsDir });
    const document = done.document as ReviewDocument;
    expect([document.approved?.edited, document.result?.diagnosis.kind]).toEqual([true, "ok"]);
    expect(store.reviews.events(review.id)[1]).toMatchObject({
      kind: "edited",
      actor: "ada",
      document: { code: edited },
    });

    const other = await startReview(await task(), { store, model, artifactsDir });
    const cancelled = await decide(
      other.id,
      { kind: "reject", by: "ada", feedback: "not needed", final: true },
      { store, artifactsDir },
    );
    expect(cancelled.status).toBe("cancelled");
    await expect(execute(other.id, { store, artifactsDir })).rejects.toThrow(
      `review ${other.id} is cancelled, not approved: it cannot be running now`,
    );
  });

  test("a process that stopped mid-draft or mid-run leaves work that resume finishes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "litmus-review-"));
    using store = RunStore.open(join(dir, "runs.db"));
    const artifactsDir = join(dir, "artifacts");
    const { model } = scripted([new Error("the model server went away"), RIGHT.replace("import requests\n", "")]);
    await expect(startReview(await task(), { store, model, artifactsDir })).rejects.toThrow();
    const [stuck] = store.reviews.list({ statuses: ["drafting"] });
    expect(stuck).toBeDefined();
    const drafted = await resume(stuck?.id ?? "", { store, model, artifactsDir });
    expect(drafted.status).toBe("pending");
    const approved = await decide(drafted.id, { kind: "approve", by: "ada" }, { store, artifactsDir });
    // As if the process died right after it marked the review running.
    store.reviews.transition(drafted.id, { from: ["approved"], to: "running", document: approved.document });
    const done = await resume(drafted.id, { store, artifactsDir });
    expect([done.status, (done.document as ReviewDocument).result?.diagnosis.kind]).toEqual(["done", "ok"]);
  });
});
