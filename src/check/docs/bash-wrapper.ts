/** The line a wrapped shell block prints on stderr when a command fails: the block line and the status. */
const FAILED = /__litmus_failed_line=(\d+) status=(\d+)\n?/;

/**
 * Bash that runs `code` the way a reader expects a documented shell block to run: it stops at the first
 * failing command (a pipeline fails when any part fails) and says which line failed, while variables, functions
 * and the working directory carry over to later blocks (the block runs as a function of the context's shell,
 * not in a subshell). `$LINENO` counts from the kernel's eval, so the first line records where it starts.
 */
export function wrapShellBlock(code: string): string {
  return `__litmus_base=$LINENO; __litmus_opts=$(set +o); set -o pipefail; __litmus_block() {
  trap '__litmus_status=$?; trap - ERR; printf "__litmus_failed_line=%d status=%d\\n" "$((LINENO - __litmus_base - 1))" "$__litmus_status" >&2; return $__litmus_status' ERR
${code}
}
__litmus_block; __litmus_status=$?; trap - ERR; eval "$__litmus_opts"; unset -f __litmus_block; (exit $__litmus_status)
`;
}

/** The failing line (1-based within the block) a wrapped block reported, and its stderr without the report. */
export function shellFailure(stderr: string): { line: number | undefined; stderr: string } {
  const match = FAILED.exec(stderr);
  if (!match) return { line: undefined, stderr };
  return { line: Number(match[1]), stderr: stderr.replace(FAILED, "") };
}
