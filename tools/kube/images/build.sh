#!/usr/bin/env bash
# Builds the container images HASteward's real node runs (tools/kube-node.sh), with no registry:
# each image root made by debootstrap from Debian 12's packages (or of one static binary), packed
# by oci_archive.py into an OCI archive that `ctr images import` reads. Every archive is cached in
# $HASTEWARD_KUBE_CACHE/images (default ~/.cache/hasteward/kube/images) under a key of everything it
# depends on: the mirror's signed release file (which pins every package version), the package
# list, this script and the binaries it adds. Prints the directory of the archives.
#   tools/kube/images/build.sh [IMAGE...]     (default: every image below)
# Images: pause (localhost/pause:3.10), debian (localhost/debian-test:12, bash and coreutils for
# test pods), postgresql (localhost/cnpg-postgresql:15-deb12, shaped as CloudNativePG expects),
# cnpg (localhost/cloudnative-pg:<version>, its operator, from tools/kube/build.sh --operators),
# mariadb (localhost/mariadb:10.11.N) and mariadb_operator (localhost/mariadb-operator:<version>).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../go-path.sh"
cache="${HASTEWARD_KUBE_CACHE:-$HOME/.cache/hasteward/kube}/images"
debs=/var/cache/hasteward-test/image/debs   # shared with deploy/image/build.sh's .deb cache
MIRROR=${HASTEWARD_DEBIAN_MIRROR:-http://deb.debian.org/debian}
[ "$(id -u)" = 0 ] || { echo "images/build.sh: needs root (debootstrap)" >&2; exit 2; }
mkdir -p "$cache" "$debs"
release=$(curl -fsS --max-time 60 "$MIRROR/dists/bookworm/InRelease") || {
  echo "images/build.sh: the Debian mirror $MIRROR answers no release file" >&2
  exit 2
}

# key_for NAME EXTRA...: the cache key of image NAME: its recipe (the image_NAME function, the root
# maker, the packer), the Debian release and EXTRA (the binaries it adds).
key_for() {
  printf '%s\n' "$release" "$MIRROR" "$(debootstrap --version)" "$(declare -f debian_root)" \
    "$(sha256sum <"$here/oci_archive.py")" "$(declare -f "image_$1")" "${@:2}" | sha256sum | cut -c1-16
}

# debian_root DIR PACKAGES: a minbase Debian 12 root with PACKAGES (comma-separated) in DIR.
debian_root() {
  debootstrap --variant=minbase --cache-dir="$debs" --include="$2" bookworm "$1" "$MIRROR" \
    >"$1.log" 2>&1 || { tail -n 30 "$1.log" >&2; return 1; }
  # What an image does not need: package caches and lists, documentation, locales.
  rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/* "$1"/usr/share/man/* \
    "$1"/usr/share/doc/* "$1"/usr/share/locale/*
}

image_pause() {
  mkdir -p "$1/root"
  gcc -static -O2 -o "$1/root/pause" "$here/pause.c"
  python3 "$here/oci_archive.py" "$1/root" localhost/pause:3.10 "$2" --entrypoint '["/pause"]'
}

image_debian() {
  debian_root "$1/root" procps,iproute2
  python3 "$here/oci_archive.py" "$1/root" localhost/debian-test:12 "$2" --cmd '["/bin/bash"]'
}

# CloudNativePG's contract for an operand image (its docs/src/container_images.md): initdb,
# postgres, pg_ctl, pg_controldata and pg_basebackup on PATH, no entrypoint (the operator runs its
# instance manager), the postgres user as uid/gid 26 (its default postgresUID/GID), and a tag that
# begins with the major version, which it reads from the tag.
image_postgresql() {
  debian_root "$1/root" postgresql-15
  # postgresql-common made a 'main' cluster: the operator's initdb makes the only one.
  rm -rf "$1/root/etc/postgresql/15/main" "$1/root/var/lib/postgresql/15/main"
  # Debian's gid 26 is the tape group's: it moves aside.
  chroot "$1/root" groupmod -g 2600 tape
  chroot "$1/root" groupmod -g 26 postgres
  chroot "$1/root" usermod -u 26 -g 26 postgres
  chroot "$1/root" chown -R 26:26 /var/lib/postgresql /var/run/postgresql
  python3 "$here/oci_archive.py" "$1/root" localhost/cnpg-postgresql:15-deb12 "$2" \
    --env PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --user 26
}

# CloudNativePG's operator image, as its Dockerfile lays it out: the manager at
# /operator/manager_amd64 (the operator globs operator/manager_* from its working directory for the
# instance managers it offers) and /manager pointing at it, run as a user without privileges. Its
# init container copies /manager into every PostgreSQL pod, where it runs as the instance manager.
image_cnpg() {
  mkdir -p "$1/root/operator" "$1/root/etc" "$1/root/tmp"
  install -m 0755 "$cnpg_bin/manager" "$1/root/operator/manager_amd64"
  ln -s operator/manager_amd64 "$1/root/manager"
  echo "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin" >"$1/root/etc/passwd"
  echo "nonroot:x:65532:" >"$1/root/etc/group"
  chmod 1777 "$1/root/tmp"
  python3 "$here/oci_archive.py" "$1/root" "localhost/cloudnative-pg:$cnpg_version" "$2" \
    --entrypoint '["/manager"]' --user 65532:65532 --workdir /
}

# A MariaDB 10.11 image from Debian's packages to the contract mariadb-operator expects of the
# official image (../shared/docs/real-kubernetes.md §8): the official image's entrypoint (the copy
# the operator itself embeds, pkg/embed/mariadb-docker/10.11, which its Galera init sources), the
# mysql user as uid/gid 999, an empty data directory, Galera, mariadb-backup and socat for state
# transfers, gosu for the entrypoint's drop of privileges, and a tag 10.11.x (the operator picks
# the entrypoint by the tag's minor version).
image_mariadb() {
  debian_root "$1/root" mariadb-server,mariadb-client,mariadb-backup,galera-4,gosu,socat,pwgen,tzdata
  chroot "$1/root" groupmod -g 999 mysql
  chroot "$1/root" usermod -u 999 -g 999 mysql
  rm -rf "$1/root/var/lib/mysql" && install -d -o 999 -g 999 "$1/root/var/lib/mysql"
  install -d -o 999 -g 999 "$1/root/run/mysqld" "$1/root/docker-entrypoint-initdb.d"
  install -m 0755 "$mariadb_module/pkg/embed/mariadb-docker/10.11/docker-entrypoint.sh" \
    "$1/root/usr/local/bin/docker-entrypoint.sh"
  python3 "$here/oci_archive.py" "$1/root" "localhost/mariadb:$mariadb_version" "$2" \
    --entrypoint '["docker-entrypoint.sh"]' --cmd '["mariadbd"]' \
    --env "MARIADB_VERSION=$mariadb_version"
}

# mariadb-operator's image, as its Dockerfile lays it out: the one binary at /bin/mariadb-operator
# (controller, webhook, init, agent), run as a user without privileges. Its Galera and replication
# pods run it as init container and sidecar.
image_mariadb_operator() {
  mkdir -p "$1/root/bin" "$1/root/etc" "$1/root/tmp"
  install -m 0755 "$mariadb_operator_bin/controller" "$1/root/bin/mariadb-operator"
  echo "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin" >"$1/root/etc/passwd"
  echo "nonroot:x:65532:" >"$1/root/etc/group"
  chmod 1777 "$1/root/tmp"
  python3 "$here/oci_archive.py" "$1/root" "localhost/mariadb-operator:$mariadb_operator_version" \
    "$2" --entrypoint '["/bin/mariadb-operator"]' --user 65532:65532 --workdir /
}

images=("$@")
[ ${#images[@]} -gt 0 ] || images=(pause debian postgresql cnpg)
for name in "${images[@]}"; do
  case $name in
    cnpg | mariadb_operator)
      read -r cnpg_bin mariadb_operator_bin _ < <("$here/../build.sh" --operators)
      cnpg_version=$(basename "$cnpg_bin" | cut -d- -f2)
      cnpg_version=${cnpg_version#v}
      mariadb_operator_version=$(basename "$mariadb_operator_bin" | cut -d- -f3)
      mariadb_operator_version=${mariadb_operator_version#v}
      ;;
    mariadb)
      mariadb_module=$(cd "$here/../mariadb-operator" && GOTOOLCHAIN=local GOFLAGS=-mod=mod \
        go mod download -json github.com/mariadb-operator/mariadb-operator/v25 |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
      # The server version Debian's release file pins (10.11.N), as the tag and MARIADB_VERSION.
      mariadb_version=$(curl -fsS --max-time 60 \
        "$MIRROR/dists/bookworm/main/binary-amd64/Packages.xz" |
        python3 -c 'import lzma, sys; sys.stdout.buffer.write(lzma.decompress(sys.stdin.buffer.read()))' |
        awk '/^Package: mariadb-server$/ { p = 1 } p && /^Version:/ && v == "" { v = $2 } END { print v }' |
        sed -E 's/^[0-9]+://; s/-.*//')
      [ -n "$mariadb_version" ] || { echo "images/build.sh: no mariadb-server in $MIRROR" >&2; exit 2; }
      ;;
  esac
done
for name in "${images[@]}"; do
  declare -F "image_$name" >/dev/null || { echo "images/build.sh: no image '$name'" >&2; exit 2; }
  extra=()
  [ "$name" = cnpg ] && extra=("$(sha256sum <"$cnpg_bin/manager")")
  [ "$name" = mariadb_operator ] && extra=("$(sha256sum <"$mariadb_operator_bin/controller")")
  [ "$name" = mariadb ] && extra=("$mariadb_version" "$(sha256sum <"$mariadb_module/pkg/embed/mariadb-docker/10.11/docker-entrypoint.sh")")
  out="$cache/$name-$(key_for "$name" "${extra[@]}").tar"
  [ -f "$out" ] && continue
  work=$(mktemp -d /var/tmp/hasteward-kube-image-XXXXXX)
  started=$SECONDS
  echo "images: $name" >&2
  if ! "image_$name" "$work" "$out.partial"; then
    rm -rf "$work" "$out.partial"
    echo "images/build.sh: the $name image failed" >&2
    exit 1
  fi
  mv "$out.partial" "$out"
  rm -rf "$work"
  # One archive per image in use: older keys' archives are of no further use.
  find "$cache" -maxdepth 1 -name "$name-*.tar" ! -name "${out##*/}" -delete
  echo "images: $name in $((SECONDS - started)) s ($(du -m "$out" | cut -f1) MiB)" >&2
done
echo "$cache"
