import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const harness = fileURLToPath(new URL("../../src/loop/harness/python_tests.py", import.meta.url));
const ioChecks = fileURLToPath(new URL("../../src/bench/eval/io_checks.py", import.meta.url));

// A child starts and ends calls as fast as it can for a second (each deadline above 1e9) while the parent
// reads the deadline without pause, as the watching parent of a phase does when it wakes.
const RACE = `
import importlib.util, json, os, sys, time

def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module

load("_litmus_tests", sys.argv[1])
watch = load("_litmus_io_checks", sys.argv[2])._LitmusWatch()
pid = os.fork()
if pid == 0:
    try:
        index, end = 0, time.monotonic() + 1.0
        while time.monotonic() < end:
            index += 1
            watch.call_started(index, 1e9 + index)
            watch.call_ended()
    finally:
        os._exit(0)
reads, unwritten = 0, []
while os.waitpid(pid, os.WNOHANG) == (0, 0):
    reads += 1
    deadline = watch.deadline()
    if deadline != float("inf") and deadline <= 1e9:
        unwritten.append(deadline)
watch.close()
print(json.dumps({"reads": reads, "unwritten": unwritten[:5]}))
`;

// CI's failure: a deadline read while the child was writing it came out as 0.0, long past, and a reference
// solution's first call was killed as a timeout ("plus input #0 ... ran past its 4.0 s limit").
test("the phase's parent never reads a deadline the child did not write", () => {
  const output = execFileSync("python3", ["-c", RACE, harness, ioChecks], { encoding: "utf8" });
  const { reads, unwritten } = JSON.parse(output) as { reads: number; unwritten: number[] };
  expect(reads).toBeGreaterThan(10_000);
  expect(unwritten).toEqual([]);
});
