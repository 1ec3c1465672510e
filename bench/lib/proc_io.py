#!/usr/bin/env python3
"""Bytes a process tree read, from /proc/PID/io, for the bench scripts.

  proc_io.py run OUT -- CMD...   runs CMD, appends "rchar read_bytes" of CMD's whole process tree
                                 to OUT (one line a run), exits with CMD's status
  proc_io.py get PID             prints "rchar read_bytes" of PID (its reaped children included)

Why this measures a whole tree: when a parent reaps a child, Linux adds the child's I/O counters
(and those of the child's own reaped children) to the parent's, so the counters of a process
read after all its children exited cover them all. `run` reads CMD's counters at the last moment:
it waits with WNOWAIT, so CMD is a zombie whose /proc entry still holds its final counters, and
reaps it only after reading them. A daemon's forked children (PostgreSQL's walsender) are counted
by the same rule in the daemon's counters once it reaps them: `get` the postmaster before and after.

rchar counts every byte returned by read(), pread() and readv() (from files, pipes, or sockets
read that way) but not by recv() (libpq's and the walsender's socket reads); read_bytes only what
had to come from the block device (0 when the page cache held the file).
"""
import os
import subprocess
import sys


def counters(pid):
    values = {}
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            key, value = line.split(":")
            values[key] = int(value)
    return values["rchar"], values["read_bytes"]


def run(out, argv):
    # CMD keeps every descriptor: hasteward hands mariadb-backup its options as /dev/fd/3.
    child = subprocess.Popen(argv, close_fds=False)
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
    rchar, read_bytes = counters(child.pid)
    status = child.wait()
    with open(out, "a") as f:
        f.write(f"{rchar} {read_bytes}\n")
    return status if status >= 0 else 128 - status


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "run" and sys.argv[3] == "--":
        sys.exit(run(sys.argv[2], sys.argv[4:]))
    if len(sys.argv) == 3 and sys.argv[1] == "get":
        print(*counters(sys.argv[2]))
        return
    sys.exit(__doc__)


if __name__ == "__main__":
    main()
