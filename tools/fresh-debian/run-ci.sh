#!/usr/bin/env bash
# A fresh Debian 12 machine's CI run of HASteward, as a new user does it as root:
#   git clone <repo> /root/project && cd /root/project && git checkout <rev> && ./.ci/run
# in a throwaway root made from the pristine debootstrap root $FRESH_DIR/base (see make-base.sh).
#
# Usage: tools/fresh-debian/run-ci.sh [commit-ish of this checkout, default main]
# Environment:
#   FRESH_DRY=1      stop right before the command (print it), then clean up
#   FRESH_CMD=...    run this (in /root/project, bash -c) instead of ./.ci/run
#   FRESH_NICE=1     run the command at nice 19 / idle I/O (for trials beside other work)
#   FRESH_KEEP=1     keep the run's files after a successful run (a failed run's are always kept)
#   FRESH_MODE=overlay  an overlayfs mount over the base instead of a copy (cp -a) of it
#   FRESH_NAME=run   prefix of the log and run directory names
#   FRESH_RESUME=DIR a kept run directory ($FRESH_DIR/runs/<name>-<timestamp>) to run in again:
#                    its root as that run left it (its caches warm), the clone checked out at REV
# Log: $FRESH_DIR/logs/<name>-<timestamp>.log. Run files: $FRESH_DIR/runs/<name>-<timestamp>/
# (overlay: upper/ holds everything the run changed, e.g. upper/root/project/build).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then
  echo "run-ci.sh: must run as root" >&2
  exit 2
fi
SRC=${FRESH_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
REV=${1:-main}
NAME=${FRESH_NAME:-run}
CMD=${FRESH_CMD:-./.ci/run}
# A copy by default: the tests measure the page cache (a restore drops the pages it wrote), which
# overlayfs does not show as ext4 does; FRESH_MODE=overlay is faster to set up.
MODE=${FRESH_MODE:-copy}
if [ ! -e "$FRESH/base.done" ]; then
  echo "run-ci.sh: no base root; run $FRESH/make-base.sh first" >&2
  exit 2
fi
SHA=$(git -C "$SRC" rev-parse --verify --quiet "$REV^{commit}") || {
  echo "run-ci.sh: $REV is not a commit of $SRC" >&2
  exit 2
}
# One run at a time: runs share the host's network namespace (loopback ports) and CPUs.
exec 9>"$FRESH/.run.lock"
if ! flock -n 9; then
  echo "run-ci.sh: another run holds $FRESH/.run.lock" >&2
  exit 2
fi

TS=$(date -u +%Y%m%d-%H%M%S)
RUN=${FRESH_RESUME:-$FRESH/runs/$NAME-$TS}
ROOT=$RUN/root
LOG=$FRESH/logs/$NAME-$TS.log
mkdir -p "$FRESH/logs" "$RUN"
# tee ignores Ctrl-C and TERM so that the cleanup's output still reaches the log.
exec > >(trap '' INT TERM HUP; exec tee -a "$LOG") 2>&1
TEE_PID=$!
START=$SECONDS
STATUS=running

finish() {
  local rc=$?
  trap - EXIT INT TERM HUP
  set +e
  [ "$STATUS" = running ] && STATUS="failed (exit $rc)"
  echo "== cleanup ($(date -u +%H:%M:%S))"
  if [ -n "${CHILD:-}" ] && kill -0 "$CHILD" 2>/dev/null; then
    kill -TERM "$CHILD" 2>/dev/null
  fi
  if [ -d "$ROOT" ]; then
    kill_root_procs "$ROOT"
    umount_tree "$ROOT" || rc=1
  fi
  # A resumed run's directory is an earlier run's, kept on purpose: never removed here.
  if [ "$STATUS" = passed ] && [ "${FRESH_KEEP:-0}" != 1 ] && [ -z "${FRESH_RESUME:-}" ] &&
    [ -z "$(mounts_under "$ROOT")" ]; then
    rm -rf --one-file-system "$RUN"
    echo "removed $RUN"
  elif [ -d "$RUN" ]; then
    echo "kept $RUN ($(du -sh --one-file-system "$RUN" 2>/dev/null | cut -f1)); remove with: rm -rf --one-file-system $RUN"
  fi
  local t=$((SECONDS - START))
  echo "== $STATUS: $REV ($SHA), total wall time $((t / 60)) min $((t % 60)) s ($t s)"
  echo "== log: $LOG"
  exec >&- 2>&-
  # tee ends when the last writer closes the pipe; a stray process could hold it, so wait only 5 s.
  for _ in $(seq 50); do kill -0 "$TEE_PID" 2>/dev/null || break; sleep 0.1; done
  exit "$rc"
}
trap finish EXIT
trap 'echo "== interrupted (SIGINT)"; exit 130' INT
trap 'echo "== terminated (SIGTERM)"; exit 143' TERM
trap 'echo "== hangup (SIGHUP)"; exit 129' HUP

echo "== fresh Debian 12 run of $SRC at $REV = $SHA ($(git -C "$SRC" log -1 --format=%s "$SHA" | cut -c1-100))"
echo "== started $(date -u +%FT%TZ) on $(hostname), $(nproc) CPUs, base: $(cat "$FRESH/base.done")"
echo "== run dir $RUN (mode $MODE), command: $CMD"

mkdir -p "$ROOT"
if [ -n "${FRESH_RESUME:-}" ]; then
  [ -d "$ROOT/root/project/.git" ] || { echo "run-ci.sh: no clone in $ROOT" >&2; exit 2; }
  mount --bind "$ROOT" "$ROOT"
elif [ "$MODE" = copy ]; then
  cp -a --reflink=auto "$BASE/." "$ROOT/"
  # A machine's / is a mount point; a chroot's directory is not, and what remounts / (buildah
  # commit makes it private, MS_REC|MS_PRIVATE) fails there with EINVAL. (An overlay is one.)
  mount --bind "$ROOT" "$ROOT"
else
  mkdir -p "$RUN/upper" "$RUN/work"
  mount -t overlay fresh-overlay -o "lowerdir=$BASE,upperdir=$RUN/upper,workdir=$RUN/work" "$ROOT"
fi
mount_system "$ROOT"
cp --remove-destination /etc/resolv.conf "$ROOT/etc/resolv.conf"
cp --remove-destination /etc/hosts "$ROOT/etc/hosts"
# Package scripts must not start system services (a mariadb on 3306 would take the host's port).
printf '#!/bin/sh\n# fresh run: no service starts inside the chroot\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 0755 "$ROOT/usr/sbin/policy-rc.d"
chmod 0700 "$ROOT/root"
# The machine's own certificate authorities (its egress proxy's), as a project machine has them: the
# Go module proxy is reached over TLS through it.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$ROOT/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
  in_root "$ROOT" update-ca-certificates >/dev/null 9>&-
fi
# The machine's Go toolchain (not Debian's: bookworm's 1.19 is too old), read-only, as a project
# machine has it at /usr/local/go; the Go module and build caches start empty in the root.
if [ -x /usr/local/go/bin/go ]; then
  mkdir -p "$ROOT/usr/local/go"
  mount --bind /usr/local/go "$ROOT/usr/local/go"
  mount -o remount,bind,ro "$ROOT/usr/local/go"
fi

# The clone, as a user makes it (file:// transport: a packed clone, not a hardlinked copy).
mkdir -p "$ROOT/mnt/src"
mount --bind "$SRC" "$ROOT/mnt/src"
mount -o remount,bind,ro "$ROOT/mnt/src"
echo "== clone ($(date -u +%H:%M:%S))"
BRANCH=""
if git -C "$SRC" show-ref --verify --quiet "refs/heads/$REV"; then BRANCH="-b $REV"; fi
if [ -n "${FRESH_RESUME:-}" ]; then
  CLONE="cd /root/project; git fetch -q file:///mnt/src '+refs/heads/*:refs/remotes/src/*'"
else
  CLONE="git clone -q $BRANCH file:///mnt/src /root/project; cd /root/project"
fi
in_root "$ROOT" /bin/bash -c "set -e; umask 022; $CLONE; [ \$(git rev-parse HEAD) = $SHA ] || git checkout -q --detach $SHA
  git log -1 --format='checked out %H %s' | cut -c1-120; git status -sb | head -1" 9>&-
umount "$ROOT/mnt/src"
rmdir "$ROOT/mnt/src"

RUNCMD=(/bin/bash -lc "umask 022; cd /root/project && $CMD")
if [ "${FRESH_NICE:-0}" = 1 ]; then
  RUNCMD=(nice -n 19 ionice -c3 "${RUNCMD[@]}")
fi
if [ "${FRESH_DRY:-0}" = 1 ]; then
  echo "== dry run: checks inside the root"
  in_root "$ROOT" /bin/bash -lc 'echo "user $(id -un), HOME=$HOME, PATH=$PATH, LANG=$LANG, umask $(umask), pwd $(cd /root/project && pwd)"
    stat -c "%A %U %n" /root /tmp /root/project /dev/shm /run /run/lock /dev/fuse /dev/pts/ptmx /usr/sbin/policy-rc.d
    /usr/sbin/policy-rc.d; echo "policy-rc.d exits $?"
    echo "packages installed: $(dpkg -l | grep -c ^ii)"; command -v kubectl || echo "no kubectl (setup.sh installs kubernetes-client)"
    cd /root/project && git status -sb | head -3 && ls .ci/run tools/test.sh tools/setup.sh
    getent hosts localhost; head -c 200 /etc/resolv.conf; findmnt -o TARGET,FSTYPE,PROPAGATION' 9>&-
  printf '== dry run: would now run in %s as root: env -i HOME=/root PATH=%s LANG=C.UTF-8 TERM=xterm chroot %s' "$ROOT" "$CHROOT_PATH" "$ROOT"
  printf ' %q' "${RUNCMD[@]}"
  echo
  STATUS=passed
  exit 0
fi

echo "== $CMD ($(date -u +%H:%M:%S))"
# In the background and waited for, so that a signal to this script runs the cleanup at once.
in_pivoted_root "$ROOT" "${RUNCMD[@]}" </dev/null 9>&- &
CHILD=$!
set +e
wait "$CHILD"
rc=$?
set -e
CHILD=""
if [ "$rc" = 0 ]; then
  STATUS=passed
else
  STATUS="failed ($CMD exit $rc)"
fi
exit "$rc"
