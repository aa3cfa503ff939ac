import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  applyDelta,
  applyDeltas,
  emptyPlaybook,
  type Playbook,
  playbookAt,
  readPlaybook,
  rollback,
  updatePlaybook,
  writePlaybook,
} from "../../src/learn/index.ts";
import { add, draft, TEST_SOURCE } from "../helpers/playbooks.ts";

function tempPath(name = "playbook.json"): string {
  return join(mkdtempSync(join(tmpdir(), "litmus-playbook-")), name);
}

describe("playbook deltas", () => {
  test("ADD gives each section its own ids; the log records them", () => {
    const playbook = applyDeltas(
      emptyPlaybook(),
      [
        add(),
        add({ section: "strategies", content: "Trace the examples by hand first." }),
        add({ content: "Guard divisions." }),
      ],
      TEST_SOURCE,
    );
    expect(playbook.bullets.map((bullet) => bullet.id)).toEqual(["pit-0001", "str-0001", "pit-0002"]);
    expect(playbook.version).toBe(3);
    expect(playbook.log.map((entry) => entry.delta.op === "ADD" && entry.delta.id)).toEqual([
      "pit-0001",
      "str-0001",
      "pit-0002",
    ]);
    expect(playbook.bullets[0]?.stats).toEqual({
      shown: 0,
      passedWhenShown: 0,
      failedWhenShown: 0,
      helpful: 0,
      harmful: 0,
      failedTrials: 0,
    });
  });

  test("UPDATE merges triggers and changes status; TAG and OBSERVE count; REMOVE deletes", () => {
    let playbook = applyDeltas(emptyPlaybook(), [add(), add({ content: "Guard every division." })], TEST_SOURCE);
    playbook = applyDeltas(
      playbook,
      [
        {
          op: "UPDATE",
          id: "pit-0001",
          triggers: { errors: ["runtime:IndexError:x", "runtime:IndexError:list index out of range"] },
          reason: "r",
        },
        { op: "UPDATE", id: "pit-0002", status: "retired", reason: "r" },
        { op: "TAG", id: "pit-0001", tag: "helpful", reason: "r" },
        { op: "TAG", id: "pit-0001", tag: "harmful", reason: "r" },
        { op: "TAG", id: "pit-0001", tag: "failed-trial", reason: "r" },
        { op: "OBSERVE", shown: ["pit-0001", "pit-0001"], passed: true },
        { op: "OBSERVE", shown: ["pit-0001", "gone-0001"], passed: false },
        { op: "OBSERVE", shown: [], passed: true },
      ],
      TEST_SOURCE,
    );
    const [first, second] = playbook.bullets;
    expect(first?.triggers.errors).toEqual(["runtime:IndexError:list index out of range", "runtime:IndexError:x"]);
    expect(first?.stats).toEqual({
      shown: 2,
      passedWhenShown: 1,
      failedWhenShown: 1,
      helpful: 1,
      harmful: 1,
      failedTrials: 1,
    });
    expect(second?.status).toBe("retired");
    expect(playbook.counters).toEqual({ runs: 3, passed: 2 });
    const removed = applyDelta(playbook, { op: "REMOVE", id: "pit-0001", reason: "r" }, TEST_SOURCE);
    expect(removed.bullets.map((bullet) => bullet.id)).toEqual(["pit-0002"]);
    // A removed id is never given out again.
    expect(applyDelta(removed, add(), TEST_SOURCE).bullets.at(-1)?.id).toBe("pit-0003");
  });

  test("applying leaves the playbook passed in unchanged", () => {
    const before = applyDelta(emptyPlaybook(), add(), TEST_SOURCE);
    const copy = structuredClone(before);
    applyDelta(before, { op: "TAG", id: "pit-0001", tag: "helpful", reason: "r" }, TEST_SOURCE);
    expect(before).toEqual(copy);
  });

  test("bad deltas are refused with what is wrong", () => {
    const playbook = applyDelta(emptyPlaybook(), add(), TEST_SOURCE);
    expect(() => applyDelta(playbook, { op: "TAG", id: "pit-0009", tag: "helpful", reason: "r" }, TEST_SOURCE)).toThrow(
      /no bullet pit-0009 in the playbook \(it has pit-0001\)/,
    );
    expect(() => applyDelta(playbook, add({ content: "short" }), TEST_SOURCE)).toThrow(
      /invalid playbook delta[\s\S]*content/,
    );
    expect(() => applyDelta(playbook, { op: "RENAME", id: "pit-0001" } as never, TEST_SOURCE)).toThrow(
      /invalid playbook delta/,
    );
    expect(() =>
      applyDelta(playbook, { op: "ADD", id: "pit-0001", status: "active", bullet: draft() }, TEST_SOURCE),
    ).toThrow(/already has one with that id/);
  });
});

describe("playbook versions and rollback", () => {
  function history(): Playbook {
    return applyDeltas(
      emptyPlaybook(),
      [
        add(),
        { op: "OBSERVE", shown: ["pit-0001"], passed: true },
        add({ section: "strategies", content: "Trace the examples by hand first." }),
        { op: "UPDATE", id: "pit-0001", status: "retired", reason: "r" },
      ],
      TEST_SOURCE,
    );
  }

  test("playbookAt rebuilds any earlier version from the log", () => {
    const playbook = history();
    expect(playbookAt(playbook, 0).bullets).toEqual([]);
    expect(playbookAt(playbook, 2).bullets.map((bullet) => [bullet.id, bullet.status, bullet.stats.shown])).toEqual([
      ["pit-0001", "active", 1],
    ]);
    expect(playbookAt(playbook, 4)).toEqual(playbook);
    expect(() => playbookAt(playbook, 5)).toThrow(/version 5 does not exist: the playbook has versions 0 to 4/);
  });

  test("rollback restores an earlier version, is logged, and can itself be rolled back", () => {
    const playbook = history();
    const back = rollback(playbook, 2, TEST_SOURCE);
    expect(back.version).toBe(5);
    expect(back.bullets).toEqual(playbookAt(playbook, 2).bullets);
    expect(back.counters).toEqual({ runs: 1, passed: 1 });
    expect(back.log.at(-1)?.delta).toEqual({ op: "ROLLBACK", to: 2 });
    // The log still holds everything, so the rolled-back state replays exactly and undoing works.
    expect(playbookAt(back, 5)).toEqual(back);
    const undone = rollback(back, 4, TEST_SOURCE);
    expect(undone.bullets).toEqual(playbook.bullets);
    // New bullets after a rollback never reuse an id the log has seen.
    expect(
      applyDelta(back, add({ section: "strategies", content: "Return early." }), TEST_SOURCE).bullets.at(-1)?.id,
    ).toBe("str-0002");
  });
});

describe("playbook file", () => {
  test("round-trips; writes atomically (no temporary file left)", async () => {
    const path = tempPath();
    const playbook = applyDelta(emptyPlaybook({ language: "python", tags: ["mbpp"] }), add(), TEST_SOURCE);
    await writePlaybook(path, playbook);
    expect(await readPlaybook(path)).toEqual(playbook);
    expect(readdirSync(join(path, ".."))).toEqual(["playbook.json"]);
    expect(JSON.parse(readFileSync(path, "utf8")).format).toBe("litmus-playbook");
  });

  test("bad files are refused with what is wrong", async () => {
    const path = tempPath();
    await expect(readPlaybook(path)).rejects.toThrow(/no playbook at .*playbook.json/);
    writeFileSync(path, "{ not json");
    await expect(readPlaybook(path)).rejects.toThrow(/is not JSON/);
    writeFileSync(path, JSON.stringify({ format: "something-else" }));
    await expect(readPlaybook(path)).rejects.toThrow(/is not a litmus playbook/);
    writeFileSync(path, JSON.stringify({ ...emptyPlaybook(), schemaVersion: 7 }));
    await expect(readPlaybook(path)).rejects.toThrow(/schema version 7; this litmus reads up to 1: upgrade litmus/);
    const broken = applyDelta(emptyPlaybook(), add(), TEST_SOURCE) as unknown as { bullets: { section: string }[] };
    (broken.bullets[0] as { section: string }).section = "tricks";
    writeFileSync(path, JSON.stringify(broken));
    await expect(readPlaybook(path)).rejects.toThrow(/not a valid playbook[\s\S]*bullets\[0\]\.section/);
  });

  test("concurrent updates under the lock lose nothing; a dead holder's lock is taken over", async () => {
    const path = tempPath();
    await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        updatePlaybook(path, async (playbook) => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          return applyDelta(
            playbook,
            add({ content: `Lesson number ${"x".repeat(index + 1)} for the test.` }),
            TEST_SOURCE,
          );
        }),
      ),
    );
    expect((await readPlaybook(path)).bullets).toHaveLength(8);
    // A lock whose process is gone (pid 2^22 + 1 is beyond pid_max on Linux by default) does not block.
    writeFileSync(`${path}.lock`, String(4_194_305));
    const updated = await updatePlaybook(path, (playbook) =>
      applyDelta(playbook, add({ content: "One more lesson here." }), TEST_SOURCE),
    );
    expect(updated.bullets).toHaveLength(9);
    expect(readdirSync(join(path, "..")).sort()).toEqual(["playbook.json"]);
  });
});
