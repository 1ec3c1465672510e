# Shared helpers for make-base.sh, run-ci.sh and cleanup.sh (sourced, not run).

# Where the base root, the run roots and the logs live (a few GB per kept run).
FRESH=${FRESH_DIR:-/var/tmp/hasteward-fresh}
BASE=$FRESH/base
CHROOT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# mount_system ROOT: the kernel file systems a booted Debian has, as a chroot needs them.
# rbinds are made rslave at once, so nothing unmounted under ROOT can propagate back to the host.
mount_system() {
  local r=$1
  mount -t proc -o nosuid,nodev,noexec proc "$r/proc"
  mount --rbind /sys "$r/sys"
  mount --make-rslave "$r/sys"
  mount --rbind /dev "$r/dev" # brings /dev/pts (host devpts) and /dev/fuse along
  mount --make-rslave "$r/dev"
  mount -t tmpfs -o nosuid,nodev,mode=1777 shm "$r/dev/shm" # own /dev/shm, not the host's
  mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs "$r/run"  # own /run (ip netns uses /run/netns)
  mkdir -p -m 1777 "$r/run/lock"
  mkdir -p -m 0755 "$r/run/user"
  chmod 1777 "$r/tmp"
}

# procs_in_root ROOT: pids of processes whose root directory is ROOT (or below it), or whose
# root holds ROOT's marker (in_pivoted_root: seen from the host, their root is another mount
# namespace's "/").
procs_in_root() {
  local r=$1 p root
  for p in /proc/[0-9]*; do
    root=$(readlink "$p/root" 2>/dev/null) || continue
    if [ "$root" = "$r" ] || [[ "$root" == "$r"/* ]] ||
      [ "$(cat "$p/root/.hasteward-fresh-root" 2>/dev/null)" = "$r" ]; then
      echo "${p#/proc/}"
    fi
  done
}

# kill_root_procs ROOT: TERM, then KILL after 10 s, every process still running inside ROOT.
kill_root_procs() {
  local r=$1 pids i
  pids=$(procs_in_root "$r" | grep -vx -e "$$" -e "$BASHPID" || true)
  [ -z "$pids" ] && return 0
  echo "cleanup: stopping processes left in $r: $(echo $pids)"
  kill -TERM $pids 2>/dev/null || true
  for i in $(seq 20); do
    sleep 0.5
    pids=$(procs_in_root "$r" | grep -vx -e "$$" -e "$BASHPID" || true)
    [ -z "$pids" ] && return 0
  done
  echo "cleanup: killing $(echo $pids)"
  kill -KILL $pids 2>/dev/null || true
  sleep 1
}

# mounts_under DIR: mount points at or below DIR (DIR need not be a mount point itself).
mounts_under() {
  findmnt -rn -o TARGET | awk -v d="$1" '$0 == d || index($0, d "/") == 1'
}

# umount_tree DIR: every mount at or below DIR, deepest first (stacked mounts take several rounds);
# lazily when something stays busy.
umount_tree() {
  local d=$1 m round
  for round in 1 2 3 4 5; do
    [ -z "$(mounts_under "$d")" ] && return 0
    while read -r m; do
      umount "$m" 2>/dev/null || true
    done < <(mounts_under "$d" | sort -r)
  done
  echo "cleanup: some mounts under $d stay busy, detaching them lazily"
  while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done < <(mounts_under "$d" | sort -r)
  if [ -n "$(mounts_under "$d")" ]; then
    echo "cleanup: WARNING: still mounted under $d:" >&2
    mounts_under "$d" >&2
    return 1
  fi
}

# in_root ROOT CMD...: CMD as root's login shell on a fresh machine would run it.
in_root() {
  local r=$1
  shift
  env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash PATH=$CHROOT_PATH LANG=C.UTF-8 \
    TERM=xterm chroot "$r" "$@"
}

# in_pivoted_root ROOT CMD...: as in_root, but ROOT becomes the root of a mount namespace of its
# own (pivot_root, the host's tree detached), as a machine's root is, not a chroot. Why: whatever
# enters a mount namespace later (setns: runc exec into a container, nsenter) gets the
# namespace's root, which for a chroot is the host's: exec into a pod of the real node then ran in
# the host's tree. ROOT must be a mount point (run-ci.sh binds it onto itself).
in_pivoted_root() {
  local r=$1
  shift
  echo "$r" >"$r/.hasteward-fresh-root"
  env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash PATH=$CHROOT_PATH LANG=C.UTF-8 \
    TERM=xterm unshare --mount --propagation private -- /bin/sh -c \
    'cd "$1" && mkdir -p .host-root && pivot_root . .host-root && cd / &&
     umount -l /.host-root && rmdir /.host-root && shift && exec "$@"' in-pivoted-root "$r" "$@"
}
