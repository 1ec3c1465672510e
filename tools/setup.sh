#!/usr/bin/env bash
# Installs everything HASteward builds and tests with, from Debian 12 packages; with --bench also
# the peers bench/ compares against (pgBackRest, barman, Patroni with etcd, pg_auto_failover,
# mydumper) and the switchover benches' writers' drivers (psycopg2, PyMySQL), which CI
# does not need. Idempotent: packages already present are skipped by apt-get.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
PKGS=(
  build-essential cmake ninja-build pkg-config git ca-certificates ccache
  libssl-dev libzstd-dev zstd zlib1g-dev nlohmann-json3-dev libcli11-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcurl4-openssl-dev
  libpq-dev libmariadb-dev
  clang-format clang-tidy
  restic
  postgresql-15 postgresql-client-15 postgresql-contrib
  mariadb-server mariadb-client mariadb-backup galera-4 rsync socat
  sysbench time procps psmisc iproute2 nftables python3 faketime
  libfuse3-dev fuse3
  ceph-mon ceph-osd radosgw ceph-common uuid-runtime
  python3-kubernetes python3-jsonschema python3-yaml
  prometheus
  # the image test builds deploy/image with debootstrap and buildah and runs it with podman;
  # runc, because crun refuses a host whose cgroup v1 controllers sit beside a v2 mount
  # (curl: the image build asks the mirror for its release file, the key of its cached root)
  debootstrap buildah podman runc curl
  # the real-node tier (tools/test-kubernetes.sh): the pods' network (CNI plugins) and
  # kube-proxy's service rules (iptables, conntrack)
  containernetworking-plugins iptables conntrack
)
if [ "${1:-}" = --bench ]; then
  # python3-etcd: Patroni's etcd3 DCS imports the v2 client's exceptions, and Debian's patroni
  # package only recommends it.
  PKGS+=(pgbackrest barman patroni etcd-server python3-etcd mydumper
    pg-auto-failover-cli postgresql-15-auto-failover python3-psycopg2 python3-pymysql)
fi

# kubectl: `kubectl kustomize deploy/` (the deploy tests) and kubectl 1.20's SPDY exec and
# port-forward against the real API server (real_kube_rbac_test): Debian's kubernetes-client unless
# a kubectl is already installed (a newer one from another package would conflict with it).
if ! command -v kubectl >/dev/null 2>&1; then PKGS+=(kubernetes-client); fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Debian's packages start system-wide servers on install; tests start their own on loopback.
# prometheus is installed for its promtool (tests/deploy/prometheus_rules_test.py): its server
# would scrape and take port 9090 and CPU during the tests, so it is stopped and not started at boot.
for svc in mariadb postgresql prometheus; do
  $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || $SUDO service "$svc" stop >/dev/null 2>&1 || true
done
# Go is not Debian's (bookworm's golang-go 1.19 cannot build current Kubernetes): the machine's own
# Go 1.26 with the module proxy builds the real Kubernetes components (tools/kube/build.sh).
if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
  echo "setup: no 'go' on PATH: the tests build etcd and kube-apiserver with the machine's Go 1.26" \
    "(e.g. PATH=/usr/local/go/bin:\$PATH)" >&2
  exit 1
fi
echo "setup: dependencies present"
