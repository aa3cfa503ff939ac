import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { Sandbox, SandboxPool } from "../sandbox/index.ts";
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
async function throughput(
  parallel: number,
  durationMs: number,
  worker: (index: number) => Promise<void>,
): Promise<number> {
  const started = performance.now();
  const deadline = started + durationMs;
  let completed = 0;
  await Promise.all(
    Array.from({ length: parallel }, async (_, index) => {
      while (performance.now() < deadline) {
        await worker(index);
        completed++;
      }
    }),
  );
  return completed / ((performance.now() - started) / 1000);
}

async function coldCreates(samples: number, signal: AbortSignal | undefined): Promise<number[]> {
  return repeat(samples, signal, async () => {
    const { ms, sandbox } = await timeToFirstResult(() => Sandbox.create({ launch: "direct" }));
    await sandbox.kill();
    return ms;
  });
}

async function zygoteCreates(samples: number, signal: AbortSignal | undefined): Promise<number[]> {
  await (await Sandbox.create()).kill(); // starts the template: not a sample
  return repeat(samples, signal, async () => {
    const { ms, sandbox } = await timeToFirstResult(() => Sandbox.create());
    await sandbox.kill();
    return ms;
  });
}

async function poolAcquisitions(samples: number, signal: AbortSignal | undefined): Promise<number[]> {
  await using pool = new SandboxPool({ size: 2 });
  // `return await`: the pool and sandbox are disposed when the function returns, so the work must be done.
  return await repeat(samples, signal, async () => {
    await pool.warm({ timeoutMs: 30_000 }); // measure acquisition, not a pool that is still refilling
    const { ms, sandbox } = await timeToFirstResult(() => pool.acquire());
    await sandbox.kill();
    return ms;
  });
}

async function warmExecutions(samples: number, signal: AbortSignal | undefined): Promise<number[]> {
  await using sandbox = await Sandbox.create();
  for (let i = 0; i < 200; i++) await sandbox.runCode(TRIVIAL);
  return await repeat(samples, signal, async () => {
    const started = performance.now();
    await sandbox.runCode(TRIVIAL);
    return performance.now() - started;
  });
}

/** One live context per worker, as a server with one sandbox per client would have. */
async function liveExecutionsPerSecond(workers: number, durationMs: number): Promise<number> {
  const live = await Promise.all(Array.from({ length: workers }, () => Sandbox.create()));
  try {
    return await throughput(workers, durationMs, async (index) => {
      await (live[index] as Sandbox).runCode(TRIVIAL);
    });
  } finally {
    await Promise.all(live.map((sandbox) => sandbox.kill()));
  }
}

async function freshSandboxesPerSecond(workers: number, durationMs: number): Promise<number> {
  await using pool = new SandboxPool({ size: workers * 2, concurrency: workers });
  await pool.warm({ timeoutMs: 30_000 });
  return await throughput(workers, durationMs, async () => {
    const sandbox = await pool.acquire();
    await sandbox.runCode(TRIVIAL);
    await sandbox.kill();
  });
}

/** Killed sandboxes leave the kernel work to do (network namespaces, cgroups): let it finish between phases. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 500));
}

/**
 * Measures this machine's sandbox: warm execution latency and throughput, cold and forked starts, pool
 * acquisition and sustained fresh-sandbox throughput, against the same run's baseline (a bare python3
 * spawn, no isolation at all).
 */
export async function benchmarkSandbox(options: SandboxBenchOptions = {}): Promise<SandboxBenchReport> {
  const { samples = 30, warmSamples = 2000, durationMs = 3000, signal } = options;
  const progress = options.onProgress ?? (() => {});
  const cpus = availableParallelism();
  const python = options.baselinePython ?? "/usr/bin/python3";

  progress("baseline: bare python3 -c pass");
  await spawnAndWait(python, ["-c", "pass"]);
  const baseline = await repeat(samples, signal, () => spawnAndWait(python, ["-c", "pass"]));
  progress("warm 1+1 in a live context");
  const warm = await warmExecutions(warmSamples, signal);
  await settle();
  progress(`executions per second in ${cpus} live contexts`);
  const liveExecsPerSec = await liveExecutionsPerSecond(cpus, durationMs);
  await settle();
  progress("cold create (own bubblewrap and interpreter) to first result");
  const cold = await coldCreates(samples, signal);
  await settle();
  progress("create from the zygote template to first result");
  const forked = await zygoteCreates(samples, signal);
  await settle();
  progress("pool acquire to first result");
  const pooled = await poolAcquisitions(samples, signal);
  await settle();
  signal?.throwIfAborted();
  progress("fresh sandboxes per second (create, run 1+1, destroy), sustained");
  const freshSandboxesPerSec = await freshSandboxesPerSecond(cpus, durationMs);

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
