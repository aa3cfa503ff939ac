# litmus bash kernel: one persistent shell, so variables, functions and the working directory carry over
# between cells. A request on fd 3 is "<cell number> <code's byte length> <variable count>\n<code>"
# followed by the cell's own environment variables, each "NAME=value" ended by a NUL byte; the exit status goes
# back on fd 4 as JSON, with the cell's number (the supervisor drops events of any other cell).
# Cells run with fds 3 and 4 closed, so user commands never see the control channel. An interrupt (SIGINT to
# the process group) stops the running foreground command and leaves the shell alive; a cell that still does
# not finish is killed by the supervisor after its grace period and the shell restarts empty.
export LC_ALL=C.UTF-8
trap '' INT
# A cell with variables of its own runs in a function whose exported locals hold them: they are gone, and the
# shell's own values back, when it returns.
__litmus_with_envs() {
  local __litmus_variable
  for __litmus_variable in "${__litmus_envs[@]}"; do local -x "$__litmus_variable"; done
  eval "$__litmus_code" 3<&- 4>&-
}
while IFS=' ' read -r __litmus_n __litmus_length __litmus_envs_count <&3; do
  IFS= LC_ALL=C read -r -d '' -N "$__litmus_length" __litmus_code <&3
  __litmus_envs=()
  while ((${#__litmus_envs[@]} < __litmus_envs_count)); do
    IFS= LC_ALL=C read -r -d '' __litmus_variable <&3
    __litmus_envs+=("$__litmus_variable")
  done
  trap ':' INT
  if ((${#__litmus_envs[@]})); then
    __litmus_with_envs
  else
    eval "$__litmus_code" 3<&- 4>&-
  fi
  __litmus_status=$?
  trap '' INT
  printf '{"ev":"done","n":%d,"error":null,"exitCode":%d}\n' "$__litmus_n" "$__litmus_status" >&4
done
