import type { OutputMatch } from "./directives.ts";

/** The line a doctest cell prints last: its verdict, as JSON after this marker. */
const MARKER = "__litmus_doctest__ ";

/** The first failing example of a doctest session. `line` is 0-based within the block. */
export interface DoctestFailure {
  line: number;
  source: string;
  want: string;
  got?: string;
  exception?: string;
}

/**
 * Python that runs a `>>>` session with Python's own doctest, in the context's globals (so names defined by
 * earlier blocks are there, and names it defines stay for later ones), stopping at the first failure. It
 * prints its verdict on a last line that `doctestVerdict` reads.
 */
export function doctestCell(session: string, name: string, match: OutputMatch["mode"]): string {
  const flags = match === "whitespace" ? "doctest.FAIL_FAST | doctest.NORMALIZE_WHITESPACE" : "doctest.FAIL_FAST";
  return `def __litmus_doctest(session, name):
    import doctest, json, traceback
    failures = []
    class Runner(doctest.DocTestRunner):
        def report_failure(self, out, test, example, got):
            failures.append({"line": example.lineno, "source": example.source, "want": example.want, "got": got})
        def report_unexpected_exception(self, out, test, example, exc_info):
            exception = "".join(traceback.format_exception_only(exc_info[0], exc_info[1]))
            failures.append({"line": example.lineno, "source": example.source, "want": example.want, "exception": exception})
    test = doctest.DocTestParser().get_doctest(session, {}, name, name, 0)
    test.globs = globals()
    Runner(optionflags=${flags}).run(test, out=lambda text: None, clear_globs=False)
    print(${JSON.stringify(MARKER)} + json.dumps(failures[:1]))
__litmus_doctest(${JSON.stringify(session)}, ${JSON.stringify(name)})
del __litmus_doctest
`;
}

/** The failure a doctest cell reported (null when it passed), and its stdout without the verdict line. */
export function doctestVerdict(stdout: string): { failure: DoctestFailure | null; stdout: string } | undefined {
  const at = stdout.lastIndexOf(MARKER);
  if (at < 0) return undefined;
  const end = stdout.indexOf("\n", at);
  const failures = JSON.parse(stdout.slice(at + MARKER.length, end < 0 ? undefined : end)) as DoctestFailure[];
  return { failure: failures[0] ?? null, stdout: stdout.slice(0, at) };
}
