#!/usr/bin/env bash
# Builds the pristine base root $FRESH_DIR/base once: debootstrap's default variant of bookworm,
# plus git and ca-certificates (what a user needs to clone), with this host's apt sources
# (bookworm, bookworm-updates, bookworm-security) and brought up to date like a fresh install.
# Nothing else is installed. run-ci.sh never writes to it (overlay lowerdir).
# Rebuild: rm -rf $FRESH_DIR/base $FRESH_DIR/base.done && tools/fresh-debian/make-base.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"
mkdir -p "$FRESH"
if [ -e "$FRESH/base.done" ]; then
  echo "base already built ($(cat "$FRESH/base.done")); remove $FRESH/base.done to redo"
  exit 0
fi
if [ -n "$(mounts_under "$BASE")" ]; then
  echo "something is mounted under $BASE; refusing" >&2
  exit 1
fi
command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap
if [ ! -x "$BASE/usr/bin/apt-get" ] || [ ! -x "$BASE/usr/bin/git" ]; then
  rm -rf "$BASE"
  nice -n 19 ionice -c3 debootstrap --variant=minbase --include=git,ca-certificates bookworm "$BASE" \
    http://deb.debian.org/debian
fi

# Apt sources exactly as this host's, so packages come from the same mirror as the host's.
install -m 0644 /etc/apt/sources.list.d/debian.sources "$BASE/etc/apt/sources.list.d/debian.sources"
echo "# see /etc/apt/sources.list.d/debian.sources" >"$BASE/etc/apt/sources.list"
# The mirror here may serve a dated snapshot whose Release files have expired; the host has this too.
if [ -f /etc/apt/apt.conf.d/99artifact-registry ]; then
  install -m 0644 /etc/apt/apt.conf.d/99artifact-registry "$BASE/etc/apt/apt.conf.d/99artifact-registry"
fi

cleanup() {
  kill_root_procs "$BASE"
  umount_tree "$BASE/proc"
  umount_tree "$BASE/sys"
  umount_tree "$BASE/dev"
  umount_tree "$BASE/run"
  rm -f "$BASE/usr/sbin/policy-rc.d"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mount_system "$BASE"
printf '#!/bin/sh\nexit 101\n' >"$BASE/usr/sbin/policy-rc.d"
chmod 0755 "$BASE/usr/sbin/policy-rc.d"
cp --remove-destination /etc/resolv.conf "$BASE/etc/resolv.conf"
in_root "$BASE" apt-get update -q
in_root "$BASE" env DEBIAN_FRONTEND=noninteractive nice -n 19 apt-get -y -q upgrade
in_root "$BASE" apt-get clean
cleanup
trap - EXIT
echo "built $(date -u +%FT%TZ), $(chroot "$BASE" dpkg -l | grep -c '^ii') packages" >"$FRESH/base.done"
cat "$FRESH/base.done"
