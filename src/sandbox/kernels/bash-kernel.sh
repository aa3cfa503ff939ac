# litmus bash kernel: one persistent shell, so variables, functions and the working directory carry over
# between cells. A request on fd 3 is "<cell number> <byte length>\n<code>"; the exit status goes back on fd 4 as
# JSON, with the cell's number (the supervisor drops events of any other cell).
# Cells run with fds 3 and 4 closed, so user commands never see the control channel. An interrupt (SIGINT to
# the process group) stops the running foreground command and leaves the shell alive; a cell that still does
# not finish is killed by the supervisor after its grace period and the shell restarts empty.
export LC_ALL=C.UTF-8
trap '' INT
while IFS=' ' read -r __litmus_n __litmus_length <&3; do
  IFS= LC_ALL=C read -r -d '' -N "$__litmus_length" __litmus_code <&3
  trap ':' INT
  eval "$__litmus_code" 3<&- 4>&-
  __litmus_status=$?
  trap '' INT
  printf '{"ev":"done","n":%d,"error":null,"exitCode":%d}\n' "$__litmus_n" "$__litmus_status" >&4
done
