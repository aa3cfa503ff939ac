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
    def cut(text):
        # The verdict must fit in the output an execution keeps: a failing example may print a lot.
        return text if len(text) <= 4000 else text[:4000] + "\\n... (%d more characters)\\n" % (len(text) - 4000)
    class Runner(doctest.DocTestRunner):
        def report_failure(self, out, test, example, got):
            failures.append({"line": example.lineno, "source": cut(example.source), "want": cut(example.want), "got": cut(got)})
        def report_unexpected_exception(self, out, test, example, exc_info):
            exception = "".join(traceback.format_exception_only(exc_info[0], exc_info[1]))
            failures.append({"line": example.lineno, "source": cut(example.source), "want": cut(example.want), "exception": cut(exception)})
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
  let failures: DoctestFailure[];
  try {
    failures = JSON.parse(stdout.slice(at + MARKER.length, end < 0 ? undefined : end)) as DoctestFailure[];
  } catch {
    // Cut off by the output limit, or forged by the code under test: either way the session did not pass cleanly.
    return undefined;
  }
  return { failure: failures[0] ?? null, stdout: stdout.slice(0, at) };
}
