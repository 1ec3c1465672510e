#!/usr/bin/env bash
# The real-Kubernetes end-to-end tier (issue 51): builds what it needs (HASteward and the tier's
# test binaries; the Kubernetes components, containerd, CoreDNS and the operators from their Go
# modules; the images from Debian's packages: each cached after its first build), starts a real
# single-node cluster (tools/kube-node.sh), runs every tests/kube_node/*_test against it, and
# takes the node down, checking that nothing of it is left. Run it before calling any Kubernetes
# work done; it is not part of tools/test.sh (a cold build takes tens of minutes).
#   tools/test-kubernetes.sh [--gtest_filter=...]
# Needs root (namespaces, mounts, cgroups, debootstrap) and what tools/setup.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
step() { echo "== $* ($(( $(date +%s) - started )) s)"; }

step "build: hasteward and the tier's tests"
HASTEWARD_WERROR=${HASTEWARD_WERROR:-ON} ./tools/build.sh hasteward \
  $(cd tests/kube_node && ls ./*_test.cpp | sed 's|^\./||; s|\.cpp$||') >/dev/null
step "build: Kubernetes, containerd, CoreDNS, the operators (Go modules)"
./tools/kube/build.sh >/dev/null
./tools/kube/build.sh --node >/dev/null
./tools/kube/build.sh --operators >/dev/null
./tools/kube/build.sh --manifests >/dev/null
step "build: images (Debian packages)"
./tools/kube/images/build.sh >/dev/null

run=$(mktemp -d /var/tmp/hasteward-kube-tier-XXXXXX)
rmdir "$run"
down() {
  step "node: down"
  ./tools/kube-node.sh down --dir "$run"
}
trap down EXIT
step "node: up"
./tools/kube-node.sh up --dir "$run" >/dev/null
status=0
for test in build/tests/kube_node/*_test; do
  step "tier: ${test##*/}"
  HASTEWARD_KUBE_NODE="$run" HASTEWARD_TEST_BIN="$PWD/build/src/hasteward" "$test" "$@" || status=1
done
trap - EXIT
down
step "tier: $([ $status = 0 ] && echo passed || echo FAILED)"
exit $status
