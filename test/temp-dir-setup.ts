import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Every test run gets one temp directory of its own, and it is gone when the run ends: the tests make hundreds of
 * directories (data dirs, ground truths, pulled models, artifacts; about 4 GB a run), and removing each in its
 * own test would be easy to forget and lost on a failure. Test workers are forked after this runs, so they
 * inherit TMPDIR, and os.tmpdir() in them and in the litmus processes they start answers this directory.
 */
export default function setup(): () => void {
  const directory = mkdtempSync(join(tmpdir(), "litmus-tests-"));
  chmodSync(directory, 0o1777); // as /tmp is: the sandboxes' users reach what litmus prepares for them in it
  process.env.TMPDIR = directory;
  return () => rmSync(directory, { recursive: true, force: true });
}
