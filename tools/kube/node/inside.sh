#!/usr/bin/env bash
# The real node's supervisor (tools/kube-node.sh up starts it): the first process of the node's PID
# namespace, inside its network namespace and a mount namespace of its own. It prepares the mounts,
# starts the components in dependency order, writes RUN/ready once the node is Ready (RUN/failed if
# not), and on SIGTERM stops them in the reverse order: pods, kubelet and kube-proxy, containers,
# containerd, CoreDNS, scheduler, controller-manager, API server, etcd; then the mounts. When this
# process ends, the kernel ends whatever is left in the PID namespace.
#   tools/kube/node/inside.sh RUN
set -uo pipefail
RUN=$1
# shellcheck disable=SC1091
. "$RUN/env"
pki=$RUN/pki
log=$RUN/log
export PATH="$BIN_CONTROL:$BIN_NODE:$BIN_CONTAINERD:/usr/sbin:/usr/bin:/sbin:/bin"
export KUBECONFIG

say() { echo "$(date +%T) $*"; }
failed() {
  say "FAILED: $*"
  touch "$RUN/failed"
  stop_all
  exit 1
}

declare -A pids=()
order=()
# start NAME COMMAND...: a component in the background, its output in RUN/log/NAME.log.
start() {
  local name=$1
  shift
  "$@" >"$log/$name.log" 2>&1 &
  pids[$name]=$!
  order+=("$name")
  say "started $name (pid ${pids[$name]})"
}

# wait_for WHAT SECONDS COMMAND...: polls COMMAND every half second.
wait_for() {
  local what=$1 seconds=$2
  shift 2
  local i
  for ((i = 0; i < seconds * 2; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    local name
    for name in "${order[@]}"; do
      kill -0 "${pids[$name]}" 2>/dev/null || failed "$name exited while waiting for $what (log/$name.log)"
    done
    sleep 0.5
  done
  failed "$what: not within $seconds s"
}

stop_one() {
  local name=$1 pid=${pids[$1]:-}
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null
  local i
  for ((i = 0; i < 300; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  unset "pids[$name]"
  say "stopped $name"
}

stop_all() {
  trap - TERM INT
  say "stopping"
  # Pods first, while kubelet still runs them down (their containers' own SIGTERM).
  if [ -n "${pids[kubelet]:-}" ]; then
    kubectl delete pods --all --all-namespaces --wait=false --grace-period=5 >/dev/null 2>&1
    local i
    for ((i = 0; i < 60; i++)); do
      [ -z "$(kubectl get pods -A -o name 2>/dev/null)" ] && break
      sleep 0.5
    done
  fi
  stop_one kube-proxy
  stop_one kubelet
  if [ -n "${pids[containerd]:-}" ]; then
    local ctr=(ctr --address "$RUN/containerd.sock" -n k8s.io)
    local c
    for c in $("${ctr[@]}" tasks list -q 2>/dev/null); do
      "${ctr[@]}" tasks kill -s SIGKILL "$c" >/dev/null 2>&1
    done
    for c in $("${ctr[@]}" containers list -q 2>/dev/null); do
      "${ctr[@]}" tasks delete -f "$c" >/dev/null 2>&1
      "${ctr[@]}" containers delete "$c" >/dev/null 2>&1
    done
    stop_one containerd
    # The runc shims reparented to this process when containerd ended: they end with their tasks.
    local shim
    for shim in $(pgrep -f containerd-shim-runc-v2); do kill -TERM "$shim" 2>/dev/null; done
  fi
  stop_one coredns
  stop_one kube-scheduler
  stop_one kube-controller-manager
  stop_one kube-apiserver
  stop_one etcd
  # The mounts made by kubelet and containerd (overlay roots, volumes, Secrets), deepest first,
  # then this namespace's own.
  awk -v run="$RUN" 'index($5, run "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null; done
  say "stopped"
}

trap 'stop_all; exit 0' TERM INT

# Mounts: a sysfs of this network namespace (what CNI and kubelet read of the interfaces) with
# the machine's cgroup hierarchies kept beneath it; then every default path a component writes
# outside its configuration's reach replaced by a directory of RUN; then shared propagation, so
# that volume mounts reach the containers (kind makes its nodes' root shared the same way).
mkdir -p "$RUN/mnt/cgroup"
mount --rbind /sys/fs/cgroup "$RUN/mnt/cgroup" || failed "bind /sys/fs/cgroup"
mount -t sysfs sysfs /sys || failed "mount sysfs"
mount --move "$RUN/mnt/cgroup" /sys/fs/cgroup || failed "move the cgroup mounts"
for path in /var/lib/cni /var/log/pods /var/log/containers /run/containerd /var/lib/kubelet \
  /etc/cni/net.d /var/lib/containerd /var/run/kubernetes /opt/cni /opt/containerd /run/nri; do
  mkdir -p "$path" "$RUN/mnt$path"
  mount --bind "$RUN/mnt$path" "$path" || failed "bind $path"
done
mount --make-rshared / || failed "make / shared"

# Per-namespace settings only: forwarding between the pods' bridge and the node, and bridged
# traffic through iptables (kube-proxy's service rules).
sysctl -qw net.ipv4.ip_forward=1 || failed "ip_forward"
sysctl -qw net.bridge.bridge-nf-call-iptables=1 || failed "bridge-nf-call-iptables"

start etcd etcd --data-dir="$RUN/etcd" --listen-client-urls=http://127.0.0.1:2379 \
  --advertise-client-urls=http://127.0.0.1:2379 --listen-peer-urls=http://127.0.0.1:2380 \
  --initial-advertise-peer-urls=http://127.0.0.1:2380 --initial-cluster=default=http://127.0.0.1:2380 \
  --unsafe-no-fsync --log-level=warn
start kube-apiserver kube-apiserver --etcd-servers=http://127.0.0.1:2379 \
  --bind-address="$NODE_IP" --advertise-address="$NODE_IP" --secure-port=6443 \
  --cert-dir="$RUN/apiserver" --tls-cert-file="$pki/apiserver.crt" \
  --tls-private-key-file="$pki/apiserver.key" --client-ca-file="$pki/ca.crt" \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --service-account-issuer=https://kubernetes.default.svc \
  --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
  --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
  --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" \
  --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority="$pki/ca.crt" \
  --kubelet-preferred-address-types=InternalIP --allow-privileged=true \
  --enable-aggregator-routing=true
wait_for "the API server" 180 kubectl get --raw /readyz
# The API server's client certificate may use the kubelet's API (exec, port-forward, logs).
kubectl create clusterrolebinding kube-apiserver-kubelet-admin \
  --clusterrole=system:kubelet-api-admin --user=kube-apiserver >/dev/null ||
  failed "the kubelet-api-admin binding"
kubectl apply -f - >/dev/null <<EOF || failed "CoreDNS's role"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: hasteward-node:coredns}
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: hasteward-node:coredns}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: hasteward-node:coredns}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: "hasteward-node:coredns"}
EOF

start kube-controller-manager kube-controller-manager --kubeconfig="$pki/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$pki/controller-manager.kubeconfig" \
  --authorization-kubeconfig="$pki/controller-manager.kubeconfig" \
  --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
  --use-service-account-credentials --leader-elect=false --bind-address=127.0.0.1 \
  --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key"
start kube-scheduler kube-scheduler --config="$RUN/scheduler.yaml" --bind-address=127.0.0.1
start coredns "$BIN_COREDNS/coredns" -conf "$RUN/Corefile"

start containerd containerd --config "$RUN/containerd/config.toml"
wait_for "containerd" 60 ctr --address "$RUN/containerd.sock" version
for archive in "$IMAGES"/pause-*.tar; do
  ctr --address "$RUN/containerd.sock" -n k8s.io images import "$archive" >/dev/null ||
    failed "importing $archive"
done

start kubelet kubelet --config="$RUN/kubelet.yaml" --kubeconfig="$pki/kubelet.kubeconfig" \
  --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --root-dir=/var/lib/kubelet
start kube-proxy kube-proxy --config="$RUN/kube-proxy.yaml"
wait_for "node $NODE_NAME Ready" 240 \
  kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout=1s
# Storage: static local PersistentVolumes under RUN in a default StorageClass bound when a pod
# needs one (kubelet applies a pod's fsGroup to local volumes, so uid 26 and 999 may write them),
# recycled by the loop below when released: the job of the external local-volume provisioner.
kubectl apply -f - >/dev/null <<EOF || failed "the StorageClass"
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: hasteward-local
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Retain
EOF
for i in $(seq 1 "${VOLUMES:-16}"); do
  mkdir -p "$RUN/volumes/pv-$i"
  chmod 0777 "$RUN/volumes/pv-$i"
  cat <<EOF
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: hasteward-local-$i}
spec:
  capacity: {storage: 5Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: hasteward-local
  local: {path: $RUN/volumes/pv-$i}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - {key: kubernetes.io/hostname, operator: In, values: [$NODE_NAME]}
EOF
done | kubectl apply -f - >/dev/null || failed "the PersistentVolumes"

# A released volume (its claim deleted) is emptied and offered again.
recycle_volumes() {
  local name path
  kubectl get pv -o jsonpath='{range .items[?(@.status.phase=="Released")]}{.metadata.name} {.spec.local.path}{"\n"}{end}' 2>/dev/null |
    while read -r name path; do
      case $path in "$RUN/volumes/"*) ;; *) continue ;; esac
      find "$path" -mindepth 1 -delete 2>/dev/null
      kubectl patch pv "$name" --type=json -p='[{"op":"remove","path":"/spec/claimRef"}]' >/dev/null 2>&1
    done
}

say "ready"
touch "$RUN/ready"

# Until SIGTERM: a component that exits is reported (the node is then broken; down still works).
while true; do
  for name in "${order[@]}"; do
    if [ -n "${pids[$name]:-}" ] && ! kill -0 "${pids[$name]}" 2>/dev/null; then
      say "$name exited (log/$name.log)"
      unset "pids[$name]"
    fi
  done
  recycle_volumes
  sleep 2 &
  wait $! 2>/dev/null
done
