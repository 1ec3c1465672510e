#!/usr/bin/env bash
# Builds the HASteward container image with no registry and no Docker engine: a Debian 12 root made
# by debootstrap from Debian's packages (the shared libraries the binary links, the dump and restore
# tools the engines run, restic), the binary from ./build added, committed as an OCI image by buildah
# into the host's container storage, where `podman run` finds it.
#
#   deploy/image/build.sh [--binary build/src/hasteward] [--tag localhost/hasteward:dev]
#                         [--mirror URL] [--work DIR] [--keep-rootfs] [--cache-dir DIR]
#                         [--archive FILE]
#
# --archive FILE writes the same image as an OCI archive instead (tools/kube/images/oci_archive.py,
# no buildah needed), which `ctr images import` reads: how the real node of the Kubernetes tier
# (tools/kube-node.sh import) runs the operator from it.
# deploy/image/Containerfile describes the same image for `podman build` / `docker build` where a
# registry is reachable (it pulls debian:12-slim and compiles inside); this script is the path for a
# machine that reaches only a Debian mirror, and the one the image test runs (tests/image/).
# Needs root (debootstrap), debootstrap and buildah (tools/setup.sh installs both). Prints the image
# name on its last line.
# --cache-dir DIR (created when missing) keeps what the next build can reuse unchanged: the .deb
# files (debootstrap reuses one only when its checksum matches the mirror's index), and the root
# debootstrap made, as a tar keyed by everything that root depends on: the mirror's signed release
# file (which pins every package version), the package list, the mirror and debootstrap's version.
# A build whose key matches unpacks that root instead of running debootstrap again (about 150 s of
# unpacking and maintainer scripts on 2 shared cores); any change of key runs debootstrap.
set -euo pipefail
cd "$(dirname "$0")/../.."
BINARY=build/src/hasteward
TAG=localhost/hasteward:dev
MIRROR=http://deb.debian.org/debian
WORK=""
KEEP=0
CACHE=""
ARCHIVE=""
while [ $# -gt 0 ]; do
  case $1 in
    --binary) BINARY=$2; shift 2 ;;
    --tag) TAG=$2; shift 2 ;;
    --mirror) MIRROR=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --keep-rootfs) KEEP=1; shift ;;
    --cache-dir) CACHE=$2; shift 2 ;;
    --archive) ARCHIVE=$2; shift 2 ;;
    *) echo "build.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "build.sh: needs root (debootstrap)" >&2; exit 2; }
[ -x "$BINARY" ] || { echo "build.sh: no binary at $BINARY (run tools/build.sh first)" >&2; exit 2; }
tools=(debootstrap)
[ -n "$ARCHIVE" ] || tools+=(buildah)
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool is not installed (tools/setup.sh)" >&2; exit 2; }
done

# The packages that provide the libraries the binary links (asked of this host's dpkg, so the
# image carries exactly what the binary needs), plus what the engines run inside a pod. Per
# library: the owner of its resolved path, else of the path ldd names (merged /usr: the symlink's
# side may be the one dpkg knows). One dpkg -S for every path: each call reads dpkg's whole file
# list (about half a second), and one per path took 22 s of each image build.
lib_packages() {
  local libs owners lib path owner
  libs=$(ldd "$BINARY" | awk '/=> \// { print $3 }')
  owners=$(for lib in $libs; do readlink -f "$lib"; echo "$lib"; done | sort -u |
    xargs -r dpkg -S 2>/dev/null || true)
  for lib in $libs; do
    for path in "$(readlink -f "$lib")" "$lib"; do
      # "package[:arch]: path" (the first ": " ends the owner)
      owner=$(awk -v want="$path" '{ n = index($0, ": ")
        if (n > 0 && substr($0, n + 2) == want) { print substr($0, 1, n - 1); exit } }' <<<"$owners")
      if [ -n "$owner" ]; then
        echo "$owner"
        break
      fi
    done
  done | cut -d: -f1 | sort -u
}
TOOLS="ca-certificates postgresql-client-15 mariadb-client mariadb-backup restic"
PACKAGES=$(echo $(lib_packages) $TOOLS | tr ' ' '\n' | sort -u | paste -sd, -)

[ -n "$WORK" ] || WORK=$(mktemp -d /var/tmp/hasteward-image-XXXXXX)
ROOTFS=$WORK/rootfs
CONTAINER=""
cleanup() {
  [ -n "$CONTAINER" ] && buildah rm "$CONTAINER" >/dev/null 2>&1
  [ "$KEEP" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

started=$SECONDS
cache_flags=()
root_tar=""
if [ -n "$CACHE" ]; then
  mkdir -p "$CACHE/debs"
  CACHE=$(cd "$CACHE" && pwd)  # debootstrap takes an absolute path only
  cache_flags=(--cache-dir="$CACHE/debs")
  # No release file (mirror unreachable): no key, and debootstrap reports the mirror itself.
  if release=$(curl -fsS --max-time 60 "$MIRROR/dists/bookworm/InRelease"); then
    key=$(printf '%s
' "$release" "$PACKAGES" "$MIRROR" minbase "$(debootstrap --version)" |
      sha256sum | cut -c1-16)
    root_tar=$CACHE/root-$key.tar
  fi
fi
if [ -n "$root_tar" ] && [ -f "$root_tar" ]; then
  echo "== debootstrap root from the cache ($root_tar; minbase + $PACKAGES)"
  mkdir -p "$ROOTFS"
  tar -xpf "$root_tar" --numeric-owner --xattrs -C "$ROOTFS"
else
  echo "== debootstrap (minbase + $PACKAGES)"
  # minbase: no init system, no apt recommends; the packages' maintainer scripts run in the root.
  debootstrap --variant=minbase "${cache_flags[@]}" --include="$PACKAGES" bookworm "$ROOTFS" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
    tail -n 30 "$WORK/debootstrap.log" >&2
    exit 1
  }
  if [ -n "$root_tar" ]; then
    # Written aside and renamed: a build reading the cache meanwhile sees a whole tar or none.
    # Without the downloaded packages, which the image root drops below anyway.
    tar -cf "$root_tar.$$" --numeric-owner --xattrs --exclude='./var/cache/apt/archives/*.deb' \
      -C "$ROOTFS" .
    mv "$root_tar.$$" "$root_tar"
    # One root per key in use: the roots of older release files are of no further use.
    find "$CACHE" -maxdepth 1 -name 'root-*.tar' ! -name "${root_tar##*/}" -delete
  fi
fi
echo "   $((SECONDS - started)) s"

echo "== image root"
# The operator runs as an unprivileged user of its own (uid 65532, as distroless images do).
echo "hasteward:x:65532:65532:HASteward:/var/lib/hasteward:/usr/sbin/nologin" >>"$ROOTFS/etc/passwd"
echo "hasteward:x:65532:" >>"$ROOTFS/etc/group"
echo "hasteward:!:19000::::::" >>"$ROOTFS/etc/shadow"
install -d -o 65532 -g 65532 -m 0750 "$ROOTFS/var/lib/hasteward"
install -d -m 0755 "$ROOTFS/etc/hasteward"
install -m 0755 "$BINARY" "$ROOTFS/usr/local/bin/hasteward"
strip "$ROOTFS/usr/local/bin/hasteward"
install -D -m 0644 README.md "$ROOTFS/usr/share/doc/hasteward/README.md"
# What an image does not need: package caches and lists, documentation, locales.
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* \
  "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/locale/*
# The binary must find every library it links inside the root.
if chroot "$ROOTFS" ldd /usr/local/bin/hasteward | grep -q "not found"; then
  chroot "$ROOTFS" ldd /usr/local/bin/hasteward | grep "not found" >&2
  echo "build.sh: the image root lacks a library the binary links" >&2
  exit 1
fi
chroot "$ROOTFS" /usr/local/bin/hasteward version >/dev/null

if [ -n "$ARCHIVE" ]; then
  echo "== OCI archive $ARCHIVE ($TAG)"
  python3 tools/kube/images/oci_archive.py "$ROOTFS" "$TAG" "$ARCHIVE" \
    --entrypoint '["/usr/local/bin/hasteward"]' --cmd '["serve", "--config=/etc/hasteward/config.yaml"]' \
    --env HASTEWARD_STATE_DIR=/var/lib/hasteward --user 65532:65532 --workdir /var/lib/hasteward
  echo "   $((SECONDS - started)) s in all; $(du -sm "$ROOTFS" | cut -f1) MiB root"
  echo "$TAG"
  exit 0
fi

echo "== buildah commit $TAG"
CONTAINER=$(buildah from scratch)
buildah copy --quiet "$CONTAINER" "$ROOTFS/" / >/dev/null
buildah config \
  --user 65532:65532 \
  --env HASTEWARD_STATE_DIR=/var/lib/hasteward \
  --workingdir /var/lib/hasteward \
  --port 8080 --port 8081 \
  --entrypoint '["/usr/local/bin/hasteward"]' \
  --cmd 'serve --config=/etc/hasteward/config.yaml' \
  --label org.opencontainers.image.title=hasteward \
  --label org.opencontainers.image.source=deploy/image/build.sh \
  "$CONTAINER"
buildah commit --quiet --rm "$CONTAINER" "$TAG" >/dev/null
CONTAINER=""
echo "   $((SECONDS - started)) s in all; $(du -sm "$ROOTFS" | cut -f1) MiB root"
echo "$TAG"
