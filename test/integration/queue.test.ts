import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { EvalSummary } from "../../src/bench/index.ts";
import { isLitmusError } from "../../src/errors.ts";
import { parsePlaybook } from "../../src/learn/index.ts";
import { JobQueue } from "../../src/queue/index.ts";
import { RunStore } from "../../src/store/index.ts";
import { litmus, spawnLitmus, waitFor } from "../helpers/cli.ts";
import { DATASETS_DIR, datasetsUnavailableReason } from "../helpers/datasets.ts";
import { redisUnavailableReason, startRedis } from "../helpers/redis.ts";
import { sandboxUnavailableReason } from "../helpers/sandbox.ts";

const missing = redisUnavailableReason() ?? datasetsUnavailableReason() ?? sandboxUnavailableReason();
const root = mkdtempSync(join(tmpdir(), "litmus-queue-"));
/** Each process its own data directory (run store), as if on machines of their own. */
const envFor = (name: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  LITMUS_DATA_DIR: join(root, name),
  ...extra,
});
const TASKS = "2,3,4,6";
const benchArgs = ["bench", "run", "--dataset", "mbpp", "--datasets-dir", DATASETS_DIR, "--tasks", TASKS];

describe.skipIf(missing)(
  `distributed runs on a real Redis (${missing ?? "redis-server"})`,
  { timeout: 600_000 },
  () => {
    let redis: Awaited<ReturnType<typeof startRedis>>;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => {
      await redis?.stop();
    });

    test("a bench run across two workers, one killed mid-sample, completes with every sample once, as a local run", async () => {
      // A short lock, so the killed worker's sample comes back soon; not so short that a loaded machine's late
      // renewal makes the survivor's own sample look stalled.
      const workerArgs = ["worker", "--queue", redis.url, "--lock", "5s"];
      const workers = [spawnLitmus(workerArgs, envFor("worker-a")), spawnLitmus(workerArgs, envFor("worker-b"))];
      const logs = {
        get text() {
          return workers.map((worker) => worker.stderr.text).join("\n");
        },
      };
      try {
        await waitFor(() => workers.every((worker) => worker.stderr.text.includes("taking jobs")), logs, 30_000);
        const distributed = litmus([...benchArgs, "--queue", redis.url, "--no-cache", "--json"], {
          env: envFor("coordinator"),
        });
        // The first worker to start a sample is killed in the middle of it, lock and all.
        await waitFor(() => /started bench-sample/.test(logs.text), logs, 120_000);
        const victim = workers.find((worker) => worker.stderr.text.includes("started bench-sample"));
        const survivor = workers.find((worker) => worker !== victim);
        const killedJob = /started bench-sample (\S+)/.exec(victim?.stderr.text ?? "")?.[1] as string;
        victim?.child.kill("SIGKILL");

        const result = await distributed;
        expect(result.code, result.stderr).toBe(0);
        const summary = JSON.parse(result.stdout) as EvalSummary;
        expect(summary.samples).toBe(4);
        // A worker logs a sample completed after the queue has it, so the run can end before the last line.
        const completedLines = () => [...logs.text.matchAll(/completed bench-sample (\S+)/g)].map((match) => match[1]);
        await waitFor(() => completedLines().length >= 4, logs, 15_000);
        // The killed worker's sample went back to the queue and was made by the other worker.
        expect(victim?.stderr.text).not.toContain(`completed bench-sample ${killedJob}`);
        expect(survivor?.stderr.text).toContain(`completed bench-sample ${killedJob}`);
        // Every sample was completed once, and recorded once.
        const completed = completedLines();
        expect(completed.sort()).toEqual([...new Set(completed)].sort());
        expect(completed).toHaveLength(4);
        using store = RunStore.open(join(root, "coordinator", "runs.db"));
        const [run] = store.bench.list();
        expect(run?.status).toBe("finished");
        const recorded = Array.from(
          store.bench.samples(run?.id ?? ""),
          (sample) => `${sample.taskId}#${sample.sample}`,
        );
        expect(recorded.sort()).toEqual(["Mbpp/2#0", "Mbpp/3#0", "Mbpp/4#0", "Mbpp/6#0"]);

        // The same run made here, greedily with the same model, one generation at a time as each worker made
        // them (batched decoding rounds differently), scores every task the same way.
        const here = await litmus([...benchArgs, "--no-cache", "--parallel", "1", "--json"], { env: envFor("local") });
        expect(here.code, here.stderr).toBe(0);
        const local = JSON.parse(here.stdout) as EvalSummary;
        expect(summary.perTask).toEqual(local.perTask);
        expect(summary.kinds).toEqual(local.kinds);
        // Failures are listed as samples finish, which workers do in their own order.
        const byTask = (failures: EvalSummary["failures"]) =>
          failures.toSorted((a, b) => a.taskId.localeCompare(b.taskId));
        expect(byTask(summary.failures)).toEqual(byTask(local.failures));
        expect(summary.generation?.usage.outputTokens).toBe(local.generation?.usage.outputTokens);

        // Asked to stop, the surviving worker lets go of everything and says so.
        survivor?.child.kill("SIGTERM");
        await waitFor(() => survivor?.stderr.text.includes("litmus worker: stopped") === true, logs, 30_000);
      } finally {
        for (const worker of workers) worker.child.kill("SIGKILL");
      }
    });

    test("a sample that fails on every attempt is dead-lettered, and the run fails saying where it is", async () => {
      const { OPENAI_API_KEY: _dropped, ...withoutKey } = process.env;
      // The worker has no key for the hosted model the coordinator asks for: every attempt fails to open it.
      const worker = spawnLitmus(["worker", "--queue", redis.url], { ...withoutKey, LITMUS_DATA_DIR: join(root, "w") });
      try {
        await waitFor(() => worker.stderr.text.includes("taking jobs"), worker.stderr, 30_000);
        const result = await litmus(
          [...benchArgs.slice(0, -1), "2", "--model", "openai:gpt-4o-mini", "--queue", redis.url],
          { env: envFor("coordinator-dead", { OPENAI_API_KEY: "sk-never-used-by-the-coordinator" }) },
        );
        expect(result.code).toBe(3);
        expect(result.stderr).toMatch(
          /failed 3 time\(s\) and was dead-lettered \(litmus-dead on redis:\/\/127\.0\.0\.1:\d+\/?\): openai models need an API key/,
        );
        expect(worker.stderr.text).toMatch(/failed bench-sample \S+Mbpp\/2#0 \(attempt 3, no more\)/);
        await using queue = await JobQueue.open(redis.url);
        const [letter] = await queue.deadLetters();
        expect(letter).toMatchObject({ name: "bench-sample", attemptsMade: 3 });
        expect(letter?.failedReason).toContain("OPENAI_API_KEY");
        const status = await litmus(["queue", "status", "--queue", redis.url]);
        expect(status.code, status.stderr).toBe(0);
        expect(status.stdout).toMatch(
          /^1 worker\(s\) connected; jobs: .*\n1 dead letter\(s\):\n {2}bench\.\S+Mbpp\/2#0 \(bench-sample, 3 attempts\): openai models need an API key/,
        );
      } finally {
        worker.child.kill("SIGKILL");
      }
    });

    test("learn --queue: workers make the runs, the coordinator alone curates, step after step", async () => {
      const worker = spawnLitmus(["worker", "--queue", redis.url], envFor("learn-worker"));
      const playbookPath = join(root, "playbook.json");
      try {
        await waitFor(() => worker.stderr.text.includes("taking jobs"), worker.stderr, 30_000);
        const result = await litmus(
          [
            "learn",
            "--dataset",
            "mbpp",
            "--datasets-dir",
            DATASETS_DIR,
            "--tasks",
            "2,3,4",
            "--playbook",
            playbookPath,
            "--max-attempts",
            "1",
            "--no-admission",
            "--no-cache",
            "--queue",
            redis.url,
            "--json",
          ],
          { env: envFor("learn-coordinator") },
        );
        expect(result.code, result.stderr).toBe(0);
        const summary = JSON.parse(result.stdout) as { steps: { taskId: string }[] };
        expect(summary.steps).toHaveLength(3);
        const completed = () => [...worker.stderr.text.matchAll(/completed solve /g)].length;
        await waitFor(() => completed() >= 3, worker.stderr, 15_000);
        expect(completed()).toBe(3);
        // Every delta is logged under its step, and the steps' deltas come in the steps' order.
        const playbook = parsePlaybook(readFileSync(playbookPath, "utf8"), playbookPath);
        const order = summary.steps.map((step) => step.taskId);
        const logged = playbook.log.map((entry) =>
          order.findIndex((taskId) => entry.source.step?.endsWith(`/${taskId}`)),
        );
        expect(logged.length).toBeGreaterThan(0);
        expect(logged).not.toContain(-1);
        expect(logged).toEqual([...logged].sort((a, b) => a - b));
      } finally {
        worker.child.kill("SIGKILL");
      }
    });

    test("an unreachable queue is reported at once, with what to do", async () => {
      const error = await JobQueue.open("redis://127.0.0.1:1").catch((caught: unknown) => caught);
      expect(isLitmusError(error, "QUEUE_UNAVAILABLE")).toBe(true);
      expect((error as Error).message).toMatch(
        /cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/? .*start it \(redis-server\) or check --queue/,
      );
      const bad = await litmus(["worker", "--queue", "http://example.com"]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("is not a Redis URL; give it as redis://HOST:PORT[/DB]");
    });
  },
);
