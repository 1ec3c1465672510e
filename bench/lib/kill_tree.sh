# Sourced by bench scripts: kill_tree PID stops every descendant of PID, children of children
# included. A background shell function, pipeline or `runuser` is a process whose PID is not the
# program's, so killing only the PIDs a script recorded left archivers and servers running after
# the bench ended (and every later run on the machine shared the CPU with them).
kill_tree() {
  local child
  for child in $(pgrep -P "$1"); do
    kill_tree "$child"
    kill "$child" 2>/dev/null || true
  done
}
