#!/usr/bin/env bash
# Builds the real Kubernetes components the tests run (etcd, kube-apiserver, kube-controller-manager,
# kubectl) from their Go modules at the versions pinned in tools/kube/*/go.mod, through the Go
# module proxy and nothing else, into a cache outside the repository keyed by the version and the
# wrapper's go.sum: a second run costs nothing. Prints the directory that holds the binaries.
#   tools/kube/build.sh [--print-dir]
#   tools/kube/build.sh --node        kubelet, kube-proxy, kube-scheduler, containerd, CoreDNS
#   tools/kube/build.sh --operators   CloudNativePG's manager, mariadb-operator's binary, helm
#   tools/kube/build.sh --manifests   the operators' CRDs and examples, taken from their modules
#                                     (tools/kube/operators/go.mod) into a cache directory it prints
# HASTEWARD_KUBE_CACHE: the cache (default ~/.cache/hasteward/kube). A cold build of kube-apiserver
# takes minutes on two cores (docs/kubernetes.md quotes the measured figure); progress goes to stderr.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${HASTEWARD_KUBE_CACHE:-$HOME/.cache/hasteward/kube}"
# The installed toolchain only: the go lines of the wrappers must never fetch another compiler.
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
. "$here/go-path.sh"

version_of() {
  awk -v m="$2" '$1 == m { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$here/$1/go.mod"
}
# The contents only (sha256sum would also hash the paths: every clone would build anew).
key_of() { cat "$here/$1/go.mod" "$here/$1/go.sum" | sha256sum | cut -c1-12; }

# The operators' manifests: CloudNativePG's CRDs from its release manifest, mariadb-operator's from
# config/crd/bases, and their example clusters, read from the modules the proxy serves.
if [ "${1:-}" = --manifests ]; then
  mdir="$cache/operators-$(key_of operators)"
  if [ ! -f "$mdir/done" ]; then
    mkdir -p "$cache"
    mtmp=$(mktemp -d "$cache/.manifests.XXXXXX")
    trap 'rm -rf "$mtmp"' EXIT
    module_dir() { (cd "$here/operators" && go mod download -json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])'); }
    cnpg=$(module_dir github.com/cloudnative-pg/cloudnative-pg)
    cnpg_version=$(version_of operators github.com/cloudnative-pg/cloudnative-pg)
    mariadb=$(module_dir github.com/mariadb-operator/mariadb-operator/v25)
    mkdir -p "$mtmp/crds" "$mtmp/examples"
    python3 - "$cnpg/releases/cnpg-${cnpg_version#v}.yaml" "$mtmp/crds/cnpg.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d.get("kind") == "CustomResourceDefinition"]
yaml.safe_dump_all(docs, open(sys.argv[2], "w"))
PY
    cat "$mariadb"/config/crd/bases/*.yaml >"$mtmp/crds/mariadb-operator.yaml"
    cp "$cnpg/docs/src/samples/cluster-example.yaml" "$mtmp/examples/cnpg-cluster-example.yaml"
    for f in mariadb.yaml mariadb_galera.yaml mariadb_replication.yaml; do
      cp "$mariadb/examples/manifests/$f" "$mtmp/examples/mariadb-operator-$f"
    done
    chmod -R u+w "$mtmp"
    touch "$mtmp/done"
    rm -rf "$mdir"
    mv "$mtmp" "$mdir"
    trap - EXIT
  fi
  echo "$mdir"
  exit 0
fi

k8s_version=$(version_of kubernetes k8s.io/kubernetes)
etcd_version=$(version_of etcd go.etcd.io/etcd/server/v3)
minor=$(echo "$k8s_version" | cut -d. -f2)
# Version stamps as upstream's hack/lib/version.sh sets them: clients read /version (CloudNativePG
# parses the minor) and kubectl warns on skew; without them the binaries say v0.0.0-master.
stamp=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  stamp+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  stamp+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

# Builds the Go packages $3... of wrapper $2 into the cache directory $1 unless it holds them all;
# one go build per set so the shared packages compile once. Extra go build flags in the array go_flags.
build_set() {
  local dir="$1" wrapper="$2"
  shift 2
  local have_all=1 p
  for p in "$@"; do [ -x "$dir/$(basename "$p")" ] || have_all=0; done
  [ "$have_all" = 1 ] && return 0
  mkdir -p "$cache"
  local tmp
  tmp=$(mktemp -d "$cache/.build.XXXXXX")
  local start
  start=$(date +%s)
  echo "kube build: $* (cold: minutes to tens of minutes on two cores)" >&2
  if ! (cd "$here/$wrapper" && go build -trimpath "${go_flags[@]}" -o "$tmp/" "$@"); then
    rm -rf "$tmp"
    return 1
  fi
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  mv "$tmp" "$dir"
  echo "kube build: done in $(( $(date +%s) - start )) s" >&2
}

# The real node (tools/kube-node.sh): kubelet, kube-proxy and kube-scheduler of the same release,
# containerd 2 with its shim and ctr, and CoreDNS with the few plugins the cluster needs.
if [ "${1:-}" = --node ]; then
  node="$cache/node-$k8s_version-$(key_of kubernetes)"
  # kubelet links cgo like upstream's (hack/lib/golang.sh leaves it out of the static set).
  go_flags=(-ldflags "-s -w$stamp")
  build_set "$node/kubernetes" kubernetes \
    k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy \
    k8s.io/kubernetes/cmd/kube-scheduler
  containerd="$cache/containerd-$(version_of containerd github.com/containerd/containerd/v2)-$(key_of containerd)"
  # no_btrfs: containerd's BUILDING.md tag for a machine without the btrfs headers.
  go_flags=(-tags no_btrfs -ldflags "-s -w")
  build_set "$containerd" containerd \
    github.com/containerd/containerd/v2/cmd/containerd \
    github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 \
    github.com/containerd/containerd/v2/cmd/ctr
  coredns="$cache/coredns-$(version_of coredns github.com/coredns/coredns)-$(key_of coredns)"
  go_flags=(-ldflags "-s -w")
  build_set "$coredns" coredns hasteward.local/kube/coredns
  echo "$node/kubernetes $containerd $coredns"
  exit 0
fi

# The real operators (tools/test-kubernetes.sh): CloudNativePG's manager and mariadb-operator's
# binary, both static as their own Dockerfiles build them (CGO_ENABLED=0): the same file runs in
# the operator's image and, copied by an init container, in every instance pod.
if [ "${1:-}" = --operators ]; then
  cnpg="$cache/cnpg-$(version_of cnpg github.com/cloudnative-pg/cloudnative-pg)-$(key_of cnpg)"
  go_flags=(-ldflags "-s -w")
  CGO_ENABLED=0 build_set "$cnpg" cnpg github.com/cloudnative-pg/cloudnative-pg/cmd/manager
  mariadb="$cache/mariadb-operator-$(version_of mariadb-operator github.com/mariadb-operator/mariadb-operator/v25)-$(key_of mariadb-operator)"
  CGO_ENABLED=0 build_set "$mariadb" mariadb-operator \
    github.com/mariadb-operator/mariadb-operator/v25/cmd/controller
  # Helm renders mariadb-operator's chart (its installation is published as a chart only).
  helm="$cache/helm-$(version_of helm helm.sh/helm/v3)-$(key_of helm)"
  CGO_ENABLED=0 build_set "$helm" helm helm.sh/helm/v3/cmd/helm
  echo "$cnpg $mariadb $helm"
  exit 0
fi

dir="$cache/kubernetes-$k8s_version-etcd-$etcd_version-$(key_of kubernetes)$(key_of etcd)"
if [ "${1:-}" = --print-dir ]; then
  echo "$dir"
  exit 0
fi
bins=(etcd kube-apiserver kube-controller-manager kubectl)
have_all=1
for b in "${bins[@]}"; do [ -x "$dir/$b" ] || have_all=0; done
if [ "$have_all" = 1 ]; then
  echo "$dir"
  exit 0
fi
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
echo "kube build: etcd $etcd_version (cold: about a minute)" >&2
(cd "$here/etcd" && go build -trimpath -ldflags "-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3)
echo "kube build: kube-apiserver, kube-controller-manager, kubectl $k8s_version in one go build" \
  "(cold: tens of minutes on two cores)" >&2
# One go build: the thousands of shared packages compile once. CGO off as upstream builds them.
(cd "$here/kubernetes" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w$stamp" -o "$tmp/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kubectl)
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
echo "kube build: done in $(( $(date +%s) - start )) s" >&2
echo "$dir"
