import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { templateCacheDir } from "../../src/cache-dirs.ts";
import { Sandbox } from "../../src/sandbox/index.ts";
import { litmus } from "../helpers/cli.ts";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";

/**
 * Samples of a benchmark share a lane's sandbox in turns. A hostile sample must not reach the next one's run:
 * here it leaves a process behind (double fork, new session: outside its kernel's process group) that kills
 * every process started after it, so the next sample's interpreter would die mid-check and a correct sample
 * would be scored as failed. The same reach would let it forge a verdict (issue 17: it wrote fake results on the
 * next interpreter's channel).
 */
const HOSTILE = `
import os, signal, time

def add_one(x):
    return x + 1

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        me = os.getpid()
        end = time.time() + 30
        while time.time() < end:
            for name in os.listdir("/proc"):
                if name.isdigit() and int(name) > me:
                    try:
                        os.kill(int(name), signal.SIGKILL)
                    except OSError:
                        pass
            time.sleep(0.002)
    os._exit(0)
`;
const CORRECT = "def add_one(x):\n    return x + 1\n";
/** The same, and then it hangs: a sample killed at its time limit does not cost its lane's sandbox, only a reset. */
const HOSTILE_THEN_HANG = `${HOSTILE}\nwhile True:\n    pass\n`;

const work = mkdtempSync(join(tmpdir(), "litmus-lanes-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(Boolean(sandboxUnavailableReason()))("benchmark lanes between samples", () => {
  test("a process one sample leaves behind is gone before the next sample runs, after a timeout too", async () => {
    const tasks = ["Lanes/0", "Lanes/1", "Lanes/2", "Lanes/3", "Lanes/4", "Lanes/5"].map((id) => ({
      task_id: id,
      prompt: 'def add_one(x):\n    """Return x + 1."""\n',
      entry_point: "add_one",
      canonical_solution: "    return x + 1\n",
      test: "def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(-1) == 0\n",
    }));
    const dataset = join(work, "lanes.jsonl");
    writeFileSync(dataset, `${tasks.map((task) => JSON.stringify(task)).join("\n")}\n`);
    const samples = join(work, "samples.jsonl");
    writeFileSync(
      samples,
      `${tasks.map((task, index) => JSON.stringify({ task_id: task.task_id, solution: [HOSTILE, CORRECT, CORRECT, HOSTILE_THEN_HANG][index] ?? CORRECT })).join("\n")}\n`,
    );
    // One lane: every sample (and reference) runs in the same sandbox, one after the other.
    const run = await litmus(
      [
        "bench",
        "eval",
        samples,
        "--dataset",
        dataset,
        "--workers",
        "1",
        "--k",
        "1",
        "--min-time-limit",
        "1s",
        "--json",
      ],
      {
        env: { ...process.env, LITMUS_CACHE_DIR: join(work, "cache"), LITMUS_TEMPLATES_DIR: templateCacheDir() },
      },
    );
    expect(run.code, run.stderr).toBe(0);
    const perTask = (JSON.parse(run.stdout) as { perTask: Array<{ taskId: string; c: number }> }).perTask;
    expect(
      perTask.map((task) => [task.taskId, task.c]),
      run.stdout.slice(0, 3000),
    ).toEqual([
      ["Lanes/0", 1],
      ["Lanes/1", 1],
      ["Lanes/2", 1],
      ["Lanes/3", 0],
      ["Lanes/4", 1],
      ["Lanes/5", 1],
    ]);
  });
});

describe.skipIf(Boolean(sandboxUnavailableReason()))("Sandbox.reset", () => {
  test("kills every process, removes the contexts, empties the writable places; the sandbox works on", async () => {
    await using sandbox = await Sandbox.create();
    const context = await sandbox.createContext();
    const setup = await sandbox.runCode(
      [
        "import os, subprocess",
        "secret = 42",
        "for path in ('/home/user/left.txt', '/tmp/left.txt', '/dev/shm/left.txt'): open(path, 'w').write('x')",
        "os.makedirs('/home/user/locked/inner'); os.chmod('/home/user/locked', 0)",
        "subprocess.Popen(['sleep', '300'], start_new_session=True).pid",
      ].join("\n"),
      { context },
    );
    expect(setup.error).toBeNull();
    await sandbox.reset();
    const after = await sandbox.runCode(
      [
        "import os",
        "others = [p for p in os.listdir('/proc') if p.isdigit() and open(f'/proc/{p}/cmdline').read().startswith('sleep')]",
        "print(others, os.listdir('/home/user'), os.listdir('/tmp'), os.listdir('/dev/shm'), 'secret' in globals())",
      ].join("\n"),
    );
    expect(after.error).toBeNull();
    expect(after.logs.stdout.join("")).toBe("[] [] [] [] False\n");
    await expect(sandbox.runCode("secret", { context })).rejects.toThrow(/context/);
  });

  test("runs still queued when it comes fail with the reason, and watches end", async () => {
    await using sandbox = await Sandbox.create();
    const running = sandbox.runCode("import time; time.sleep(5)").catch((error: unknown) => error);
    const queued = sandbox.runCode("1", { envs: { QUEUED: "yes" } }).catch((error: unknown) => error);
    await sandbox.files.makeDir("watched");
    const events: string[] = [];
    await sandbox.files.watchDir("watched", (event) => void events.push(event.name));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await sandbox.reset();
    expect(String(await queued)).toMatch(/reset/);
    await running;
    await sandbox.files.makeDir("watched");
    await sandbox.files.write("watched/after-reset.txt", "x");
    expect((await sandbox.runCode("2 + 2")).text).toBe("4");
    expect(events).toEqual([]);
  });
});
