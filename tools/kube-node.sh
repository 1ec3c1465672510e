#!/usr/bin/env bash
# A real single-node Kubernetes cluster on this machine, for HASteward's end-to-end tier
# (tools/test-kubernetes.sh): etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
# containerd 2 with Debian's runc and CNI plugins, kubelet, kube-proxy and CoreDNS, every one built
# from its Go module at the versions tools/kube pins (tools/kube/build.sh --node), and images built
# from Debian's packages (tools/kube/images/build.sh): nothing is pulled.
#
#   tools/kube-node.sh up     [--dir RUN]      starts the node; prints RUN
#   tools/kube-node.sh down   [--dir RUN]      stops it and checks that nothing is left
#   tools/kube-node.sh run    [--dir RUN] -- COMMAND...   COMMAND in the node's network, as admin
#   tools/kube-node.sh import [--dir RUN] ARCHIVE...      OCI archives into the node's containerd
#
# Containment (../shared/docs/real-kubernetes.md §11): everything runs in a network namespace made
# here (hasteward-node-<id>) with no route out of it (node 10.250.0.1, pods 10.88.0.0/24, services
# 10.96.0.0/24, cluster DNS 10.250.0.10: private ranges that exist only inside it), in a mount
# namespace of its own (every path a component writes lies under RUN, or is a directory of RUN
# mounted over the component's default path), and in a PID namespace whose first process is the
# node's supervisor: when it ends, the kernel ends every process of the node. Pods' cgroups lie
# under /hasteward-<id> in every cgroup hierarchy; `down` removes them, the namespace and RUN, then
# fails if any process, mount, cgroup or namespace of the run is left. `down` after a kill -9 of
# whatever started the node (or of the supervisor itself) cleans up the same way, and `up` of a
# RUN that a crashed run left starts with that `down`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
node_lib="$here/kube/node"

command=${1:-}
[ -n "$command" ] && shift
RUN=/var/tmp/hasteward-kube-node
while [ $# -gt 0 ]; do
  case $1 in
    --dir) RUN=$2; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
mkdir -p "$(dirname "$RUN")"
RUN="$(cd "$(dirname "$RUN")" && pwd)/$(basename "$RUN")"
id=$(printf '%s' "$RUN" | sha256sum | cut -c1-8)
netns="hasteward-node-$id"
cgroup_root="hasteward-$id"

fail() {
  echo "kube-node: $*" >&2
  exit 1
}

# The v1 hierarchies kubelet and runc write pod cgroups into (plus the v2 mount of hybrid hosts).
cgroup_dirs() {
  local m
  for m in /sys/fs/cgroup/*; do
    [ -d "$m/$cgroup_root" ] && echo "$m/$cgroup_root"
  done
  return 0
}

# The PID of the supervisor (the PID namespace's first process, seen from here), if it runs.
supervisor_pid() {
  local pid
  pid=$(cat "$RUN/supervisor.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -d "/proc/$pid" ] && grep -q "kube/node/inside.sh" "/proc/$pid/cmdline" 2>/dev/null &&
    echo "$pid"
}

# What a run leaves that `down` must remove: one line per leftover (none when clean).
leftovers() {
  local pid
  if pid=$(supervisor_pid); then echo "process: the node's supervisor $pid"; fi
  # Every process whose namespace is the node's network namespace.
  if [ -e "/run/netns/$netns" ]; then
    local ns
    ns=$(stat -L -c %i "/run/netns/$netns" 2>/dev/null || true)
    for p in /proc/[0-9]*; do
      [ "$(stat -L -c %i "$p/ns/net" 2>/dev/null)" = "$ns" ] && echo "process: ${p#/proc/} ($(tr '\0' ' ' <"$p/cmdline" | cut -c1-80))"
    done
    echo "network namespace: $netns"
  fi
  awk -v run="$RUN" '$5 == run || index($5, run "/") == 1 { print "mount: " $5 }' /proc/self/mountinfo
  # Pod network namespaces containerd pinned outside RUN (it must not: config.sh says so).
  local f
  for f in /run/netns/cni-*; do
    [ -e "$f" ] && grep -qs "$f" "$RUN/log/containerd.log" && echo "network namespace file: $f"
  done
  cgroup_dirs | sed 's/^/cgroup: /'
  return 0
}

# Removes a leaf-first tree of cgroup directories; a cgroup that still holds a task is reported.
remove_cgroups() {
  local dir status=0
  for dir in $(cgroup_dirs); do
    while read -r sub; do
      if [ -s "$sub/cgroup.procs" ]; then
        echo "kube-node: cgroup $sub still holds tasks: $(tr '\n' ' ' <"$sub/cgroup.procs")" >&2
        status=1
        continue
      fi
      rmdir "$sub" 2>/dev/null || { echo "kube-node: cannot remove cgroup $sub" >&2; status=1; }
    done < <(find "$dir" -depth -type d)
  done
  return $status
}

down() {
  local pid
  if pid=$(supervisor_pid); then
    # The supervisor stops the node in order (pods, kubelet, containers, containerd, control
    # plane, mounts); a supervisor that does not finish in time is killed with the whole PID
    # namespace.
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 900); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
    if [ -d "/proc/$pid" ]; then
      echo "kube-node: the supervisor did not stop within 90 s: killing the node's PID namespace" >&2
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
    fi
  fi
  # Processes still in the node's network namespace outside its PID namespace (a `run` command,
  # say) belong to the run too: only they, by their namespace, never by name.
  if [ -e "/run/netns/$netns" ]; then
    local ns p
    ns=$(stat -L -c %i "/run/netns/$netns")
    for p in /proc/[0-9]*; do
      [ "$(stat -L -c %i "$p/ns/net" 2>/dev/null)" = "$ns" ] && kill -KILL "${p#/proc/}" 2>/dev/null
    done
    for _ in $(seq 1 50); do
      local any=0
      for p in /proc/[0-9]*; do
        [ "$(stat -L -c %i "$p/ns/net" 2>/dev/null)" = "$ns" ] && any=1
      done
      [ $any = 0 ] && break
      sleep 0.1
    done
  fi
  # Mounts of RUN in this namespace (none unless a crash left one), deepest first.
  awk -v run="$RUN" '$5 == run || index($5, run "/") == 1 { print $5 }' /proc/self/mountinfo |
    sort -r | while read -r m; do umount -l "$m" || true; done
  remove_cgroups || true
  [ -e "/run/netns/$netns" ] && ip netns delete "$netns"
  local left
  left=$(leftovers)
  if [ -n "$left" ]; then
    echo "kube-node: down left these behind:" >&2
    echo "$left" >&2
    exit 1
  fi
  rm -rf "$RUN"
}

up() {
  [ "$(id -u)" = 0 ] || fail "needs root (namespaces, mounts, cgroups)"
  if [ -f "$RUN/marker" ] || [ -e "/run/netns/$netns" ] || [ -n "$(cgroup_dirs)" ]; then
    echo "kube-node: $RUN holds an earlier run: taking it down first" >&2
    down
  fi
  local bins node containerd coredns images
  bins=$("$here/kube/build.sh")
  read -r node containerd coredns < <("$here/kube/build.sh" --node)
  images=$("$here/kube/images/build.sh" pause)
  mkdir -p "$RUN"
  echo "$netns $cgroup_root" >"$RUN/marker"
  cat >"$RUN/env" <<EOF
RUN=$RUN
NETNS=$netns
CGROUP_ROOT=$cgroup_root
BIN_CONTROL=$bins
BIN_NODE=$node
BIN_CONTAINERD=$containerd
BIN_COREDNS=$coredns
IMAGES=$images
NODE_IP=10.250.0.1
DNS_IP=10.250.0.10
POD_CIDR=10.88.0.0/24
SERVICE_CIDR=10.96.0.0/24
NODE_NAME=node-1
KUBECONFIG=$RUN/pki/admin.kubeconfig
EOF
  "$node_lib/config.sh" "$RUN"
  # The network namespace: the node's addresses on an interface of their own (a bridge without ports:
  # this kernel has no dummy driver), no default route, no link
  # to this machine's namespace.
  ip netns add "$netns"
  ip -n "$netns" link set lo up
  ip -n "$netns" link add node0 type bridge
  ip -n "$netns" addr add 10.250.0.1/32 dev node0
  ip -n "$netns" addr add 10.250.0.10/32 dev node0
  ip -n "$netns" link set node0 up
  local cg
  for cg in /sys/fs/cgroup/*; do
    [ -f "$cg/cgroup.procs" ] || continue
    mkdir -p "$cg/$cgroup_root"
    # A new cpuset cgroup starts with no CPUs or memory nodes: its parent's.
    if [ -f "$cg/cpuset.cpus" ]; then
      cat "$cg/cpuset.cpus" >"$cg/$cgroup_root/cpuset.cpus"
      cat "$cg/cpuset.mems" >"$cg/$cgroup_root/cpuset.mems"
    fi
  done
  # The supervisor: first process of a new PID and mount namespace inside the network namespace,
  # in a session of its own so that it outlives the command that started it.
  setsid nsenter --net="/run/netns/$netns" -- \
    unshare --mount --pid --fork --mount-proc --propagation private -- \
    "$node_lib/inside.sh" "$RUN" </dev/null >"$RUN/supervisor.log" 2>&1 &
  local outer=$!
  # unshare's child (the PID namespace's first process) is the supervisor.
  local pid=""
  for _ in $(seq 1 100); do
    pid=$(pgrep -P "$outer" 2>/dev/null | head -n1 || true)
    [ -n "$pid" ] && break
    sleep 0.1
  done
  [ -n "$pid" ] || fail "the supervisor did not start (see $RUN/supervisor.log)"
  echo "$pid" >"$RUN/supervisor.pid"
  # Ready: the supervisor writes RUN/ready once the node is Ready; it writes RUN/failed if not.
  for _ in $(seq 1 3000); do
    [ -f "$RUN/ready" ] && break
    if [ -f "$RUN/failed" ] || ! [ -d "/proc/$pid" ]; then
      tail -n 40 "$RUN/supervisor.log" >&2
      fail "the node did not start (logs in $RUN/log)"
    fi
    sleep 0.1
  done
  [ -f "$RUN/ready" ] || fail "the node was not ready within 300 s (logs in $RUN/log)"
  echo "$RUN"
}

in_node() {
  [ -f "$RUN/env" ] || fail "no node at $RUN (tools/kube-node.sh up)"
  # shellcheck disable=SC1091
  . "$RUN/env"
  exec nsenter --net="/run/netns/$NETNS" -- env KUBECONFIG="$KUBECONFIG" \
    PATH="$BIN_CONTROL:$PATH" "$@"
}

case $command in
  up) up ;;
  down) down ;;
  run) in_node "$@" ;;
  import)
    [ -f "$RUN/env" ] || fail "no node at $RUN"
    pid=$(supervisor_pid) || fail "the node at $RUN does not run"
    . "$RUN/env"
    for archive in "$@"; do
      # ctr inside the node's mount namespace: containerd's socket and snapshots are there.
      # --root: entering a mount namespace resets the root to the namespace's own; in a chroot
      # (a fresh root made by tools/fresh-debian) the node's paths are under the chroot's.
      nsenter --target "$pid" --mount --net --root -- "$BIN_CONTAINERD/ctr" \
        --address "$RUN/containerd.sock" -n k8s.io images import --local "$archive" >&2
    done
    ;;
  *)
    echo "usage: tools/kube-node.sh up|down|run|import [--dir RUN] ..." >&2
    exit 2
    ;;
esac
