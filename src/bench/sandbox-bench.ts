import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { type Sandbox, Sandbox as SandboxClass, SandboxPool } from "../sandbox/index.ts";
import { type Percentiles, percentiles, round } from "./stats.ts";

export interface SandboxBenchOptions {
  /** Cold creates and pool acquisitions measured (default 30 each). */
  samples?: number;
  /** `1+1` runs measured in one live context (default 2000). */
  warmSamples?: number;
  /** Length of each throughput phase (default 3000 ms). */
  durationMs?: number;
  /** Python spawned for the baseline (default /usr/bin/python3). */
  baselinePython?: string;
  onProgress?: (phase: string) => void;
  signal?: AbortSignal;
}

/** `litmus bench sandbox --json` (the shape is a contract). */
export interface SandboxBenchReport {
  /** A sandbox with its own bubblewrap and interpreter (launch "direct"): nothing pre-started. */
  coldCreateMs: Percentiles;
  /** Sandbox.create() forked from the running template (launch "zygote"), no pool. */
  zygoteCreateMs: Percentiles;
  poolAcquireMs: Percentiles;
  warmExecMs: Percentiles;
  liveExecsPerSec: number;
  freshSandboxesPerSec: number;
  baselineSpawnMs: Percentiles;
  machine: { cpus: number; node: string };
}

const TRIVIAL = "1+1";

/** Time from starting `create` to the first result of `1+1`. */
async function timeToFirstResult(create: () => Promise<Sandbox>): Promise<{ ms: number; sandbox: Sandbox }> {
  const started = performance.now();
  const sandbox = await create();
  let firstResultAt = 0;
  await sandbox.runCode(TRIVIAL, {
    onResult: () => {
      firstResultAt ||= performance.now();
    },
  });
  return { ms: (firstResultAt || performance.now()) - started, sandbox };
}

function spawnAndWait(executable: string, args: string[]): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(executable, args, { stdio: "ignore" });
    child.once("error", reject);
    child.once("exit", () => resolve(performance.now() - started));
  });
}

async function repeat<T>(count: number, signal: AbortSignal | undefined, body: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i++) {
    signal?.throwIfAborted();
    out.push(await body());
  }
  return out;
}

/** Runs `worker` on `parallel` loops until `durationMs` passes; returns completed iterations per second. */
async function throughput(parallel: number, durationMs: number, worker: () => Promise<void>): Promise<number> {
  const started = performance.now();
  const deadline = started + durationMs;
  let completed = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (performance.now() < deadline) {
        await worker();
        completed++;
      }
    }),
  );
  return completed / ((performance.now() - started) / 1000);
}

/**
 * Measures this machine's sandbox: cold start, pool acquisition, warm execution latency and throughput,
 * each against the same run's baseline (a bare python3 spawn, no isolation at all).
 */
export async function benchmarkSandbox(options: SandboxBenchOptions = {}): Promise<SandboxBenchReport> {
  const { samples = 30, warmSamples = 2000, durationMs = 3000, signal } = options;
  const progress = options.onProgress ?? (() => {});
  const cpus = availableParallelism();

  progress("baseline: bare python3 -c pass");
  const python = options.baselinePython ?? "/usr/bin/python3";
  await spawnAndWait(python, ["-c", "pass"]);
  const baseline = await repeat(samples, signal, () => spawnAndWait(python, ["-c", "pass"]));

  progress("cold create (own bubblewrap and interpreter) to first result");
  const cold = await repeat(samples, signal, async () => {
    const { ms, sandbox } = await timeToFirstResult(() => SandboxClass.create({ launch: "direct" }));
    await sandbox.kill();
    return ms;
  });

  progress("create from the zygote template to first result");
  await (await SandboxClass.create()).kill(); // starts the template: not a sample
  const forked = await repeat(samples, signal, async () => {
    const { ms, sandbox } = await timeToFirstResult(() => SandboxClass.create());
    await sandbox.kill();
    return ms;
  });

  progress("pool acquire to first result");
  const pooled: number[] = [];
  {
    await using pool = new SandboxPool({ size: 2 });
    await pool.warm({ timeoutMs: 30_000 });
    for (let i = 0; i < samples; i++) {
      signal?.throwIfAborted();
      await pool.warm({ timeoutMs: 30_000 }); // measure acquisition, not a pool that is still refilling
      const { ms, sandbox } = await timeToFirstResult(() => pool.acquire());
      pooled.push(ms);
      await sandbox.kill();
    }
  }

  progress("warm 1+1 in a live context");
  const warm: number[] = [];
  {
    await using sandbox = await SandboxClass.create();
    for (let i = 0; i < 200; i++) await sandbox.runCode(TRIVIAL);
    for (let i = 0; i < warmSamples; i++) {
      if (i % 500 === 0) signal?.throwIfAborted();
      const started = performance.now();
      await sandbox.runCode(TRIVIAL);
      warm.push(performance.now() - started);
    }
  }

  progress(`executions per second in ${cpus} live contexts`);
  const live = await Promise.all(Array.from({ length: cpus }, () => SandboxClass.create()));
  const liveExecsPerSec = await (async () => {
    let next = 0;
    try {
      return await throughput(cpus, durationMs, async () => {
        const sandbox = live[next++ % live.length] as Sandbox;
        await sandbox.runCode(TRIVIAL);
      });
    } finally {
      await Promise.all(live.map((sandbox) => sandbox.kill()));
    }
  })();

  progress("fresh sandboxes per second (create, run 1+1, destroy), sustained");
  let freshSandboxesPerSec: number;
  {
    await using pool = new SandboxPool({ size: cpus * 2, concurrency: cpus });
    await pool.warm({ timeoutMs: 30_000 });
    freshSandboxesPerSec = await throughput(cpus, durationMs, async () => {
      const sandbox = await pool.acquire();
      await sandbox.runCode(TRIVIAL);
      await sandbox.kill();
    });
  }

  return {
    coldCreateMs: percentiles(cold),
    zygoteCreateMs: percentiles(forked),
    poolAcquireMs: percentiles(pooled),
    warmExecMs: percentiles(warm),
    liveExecsPerSec: round(liveExecsPerSec, 0),
    freshSandboxesPerSec: round(freshSandboxesPerSec, 1),
    baselineSpawnMs: percentiles(baseline),
    machine: { cpus, node: process.version },
  };
}
