import { randomBytes } from "node:crypto";

/** The line a wrapped shell block prints on stderr when a command fails: the block line and the status. */
const FAILED = /__litmus_failed_line=(\d+) status=(\d+)\n?/;

/**
 * Bash that runs `code` the way a reader expects a documented shell block to run: it stops at the first
 * failing command (a pipeline fails when any part fails) and says which line failed, while variables (`declare`d
 * ones too), functions and the working directory carry over to later blocks. The block is sourced from a here
 * document into the context's own shell, so `$LINENO` counts the block's lines and `return` in the ERR trap
 * ends just the block.
 */
export function wrapShellBlock(code: string): string {
  // A delimiter no block can contain by chance.
  const end = `__litmus_block_${randomBytes(6).toString("hex")}__`;
  return `__litmus_status=0; __litmus_opts=$(set +o); set -o pipefail
trap '__litmus_status=$?; trap - ERR; printf "__litmus_failed_line=%d status=%d\\n" "$LINENO" "$__litmus_status" >&2; return $__litmus_status' ERR
source /dev/stdin <<'${end}'
${code}
${end}
__litmus_status=$?; trap - ERR; eval "$__litmus_opts"; (exit $__litmus_status)
`;
}

/** The failing line (1-based within the block) a wrapped block reported, and its stderr without the report. */
export function shellFailure(stderr: string): { line: number | undefined; stderr: string } {
  const match = FAILED.exec(stderr);
  if (!match) return { line: undefined, stderr };
  return { line: Number(match[1]), stderr: stderr.replace(FAILED, "") };
}
