import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { groundTruthCacheDir, modelCacheDir, templateCacheDir } from "../src/cache-dirs.ts";

/**
 * Every test run gets one temp directory of its own, and it is gone when the run ends: the tests make hundreds of
 * directories (data dirs, ground truths, pulled models, artifacts; about 4 GB a run), and removing each in its
 * own test would be easy to forget and lost on a failure. Test workers are forked after this runs, so they
 * inherit TMPDIR, and os.tmpdir() in them and in the litmus processes they start answers this directory.
 *
 * litmus's cache moves there too, so no test reads a model's answer remembered from an earlier run (a test of
 * the model would then test the cache). What is costly to make again is shared: the pulled models (pinned by
 * sha256), the datasets' reference outputs (kept per dataset and per version of the checker that made them)
 * and the built sandbox templates.
 */
export default function setup(): () => void {
  const directory = mkdtempSync(join(tmpdir(), "litmus-tests-"));
  chmodSync(directory, 0o1777); // as /tmp is: the sandboxes' users reach what litmus prepares for them in it
  const cache = join(directory, "cache");
  mkdirSync(cache);
  for (const [shared, name] of [
    [modelCacheDir(), "models"],
    [groundTruthCacheDir(), "ground-truth"],
  ] as const) {
    mkdirSync(shared, { recursive: true });
    symlinkSync(shared, join(cache, name));
  }
  process.env.LITMUS_TEMPLATES_DIR = templateCacheDir();
  process.env.LITMUS_CACHE_DIR = cache;
  process.env.TMPDIR = directory;
  return () => rmSync(directory, { recursive: true, force: true });
}
