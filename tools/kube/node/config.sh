#!/usr/bin/env bash
# Writes the configuration of the real node under RUN (tools/kube-node.sh up): one certificate
# authority and the certificates of every component (EC P-256 keys: quick to make on two cores),
# their kubeconfigs, and the configuration files of containerd, CNI, kubelet, kube-proxy,
# kube-scheduler and CoreDNS. Every path in them lies under RUN.
#   tools/kube/node/config.sh RUN
set -euo pipefail
RUN=$1
# shellcheck disable=SC1091
. "$RUN/env"
pki=$RUN/pki
mkdir -p "$pki" "$RUN/log"

openssl ecparam -name prime256v1 -genkey -noout -out "$pki/ca.key" 2>/dev/null
openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=hasteward-node-ca" -days 30 \
  -out "$pki/ca.crt" 2>/dev/null

# cert NAME SUBJECT [SANS]: a key and a certificate signed by the CA.
cert() {
  local name=$1 subject=$2 sans=${3:-}
  openssl ecparam -name prime256v1 -genkey -noout -out "$pki/$name.key" 2>/dev/null
  openssl req -new -key "$pki/$name.key" -subj "$subject" -out "$pki/$name.csr" 2>/dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=digitalSignature,keyEncipherment"
    if [ -n "$sans" ]; then
      echo "extendedKeyUsage=serverAuth,clientAuth"
      echo "subjectAltName=$sans"
    else
      echo "extendedKeyUsage=clientAuth"
    fi
  } >"$pki/$name.ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 30 -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$pki/$name.ext"
}

# kubeconfig NAME: a kubeconfig of certificate NAME for the API server.
kubeconfig() {
  cat >"$pki/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: node
  cluster:
    certificate-authority: $pki/ca.crt
    server: https://$NODE_IP:6443
users:
- name: $1
  user:
    client-certificate: $pki/$1.crt
    client-key: $pki/$1.key
contexts:
- name: node
  context: {cluster: node, user: $1}
current-context: node
EOF
}

first_service_ip=${SERVICE_CIDR%.*}.1
cert apiserver "/CN=kube-apiserver" \
  "IP:$NODE_IP,IP:$first_service_ip,IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost"
cert apiserver-kubelet-client "/O=hasteward-node/CN=kube-apiserver"
cert admin "/O=system:masters/CN=admin"
cert controller-manager "/CN=system:kube-controller-manager"
cert scheduler "/CN=system:kube-scheduler"
cert kube-proxy "/CN=system:kube-proxy"
cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
cert kubelet-serving "/CN=$NODE_NAME" "IP:$NODE_IP,DNS:$NODE_NAME"
cert coredns "/CN=hasteward-node:coredns"
openssl ecparam -name prime256v1 -genkey -noout -out "$pki/sa.key" 2>/dev/null
openssl ec -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
for name in admin controller-manager scheduler kube-proxy kubelet coredns; do
  kubeconfig "$name"
done

# containerd 2 (configuration version 3): its root, state, socket and runc's state under RUN;
# the sandbox image is the local pause image, never pulled; Debian's runc and CNI plugins.
mkdir -p "$RUN/cni/net.d" "$RUN/containerd"
cat >"$RUN/containerd/config.toml" <<EOF
version = 3
root = "$RUN/containerd/root"
state = "$RUN/containerd/state"
[grpc]
  address = "$RUN/containerd.sock"
[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
[plugins.'io.containerd.cri.v1.images'.pinned_images]
  sandbox = "localhost/pause:3.10"
# This machine's processes lack CAP_SYS_RESOURCE (not in the bounding set), so no process may
# lower an oom_score_adj: kubelet asks -998 for every pod sandbox and runc's init then dies
# ("can't get final child's PID from pipe"). containerd's switch for unprivileged hosts raises
# every request to its own score instead.
[plugins.'io.containerd.cri.v1.runtime']
  restrict_oom_score_adj = true
  # The pods' network namespaces pinned under RUN, not in the machine's /run/netns (where the
  # mounts stay in the node's mount namespace but their files were left behind on the host).
  netns_mounts_under_state_dir = true
[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
  SystemdCgroup = false
  BinaryName = "/usr/sbin/runc"
  Root = "$RUN/runc"
[plugins.'io.containerd.cri.v1.runtime'.cni]
  bin_dirs = ["/usr/lib/cni"]
  conf_dir = "$RUN/cni/net.d"
EOF

# CNI: one bridge holding the pods' addresses (host-local leases under RUN), no masquerade: there
# is nowhere outside to go.
cat >"$RUN/cni/net.d/10-hasteward-node.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "hasteward-node",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$RUN/cni/ipam",
        "ranges": [[{"subnet": "$POD_CIDR"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "loopback"}
  ]
}
EOF

# Pods get no outside resolver (dnsPolicy Default reads this file): an empty stub.
: >"$RUN/resolv.conf"

# kubelet. failCgroupV1: false because this machine's cgroup layout is hybrid: /sys/fs/cgroup is a
# tmpfs holding v1 hierarchies (cpu, memory, pids, ...) beside an unified mount with no controller
# but hugetlb, which kubelet, containerd and runc all read as cgroup v1; from 1.35 kubelet refuses
# to start on v1 unless told otherwise (KEP-5573). cgroupfs because no systemd runs here; the
# pods' cgroups under a parent of this run's own (cgroupRoot) so that `down` can remove them.
# Low eviction thresholds: a nearly full disk must not evict the pods under test.
cat >"$RUN/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failCgroupV1: false
cgroupRoot: /$CGROUP_ROOT
containerRuntimeEndpoint: unix://$RUN/containerd.sock
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: Webhook}
clusterDNS: [$DNS_IP]
clusterDomain: cluster.local
resolvConf: $RUN/resolv.conf
tlsCertFile: $pki/kubelet-serving.crt
tlsPrivateKeyFile: $pki/kubelet-serving.key
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
failSwapOn: false
serializeImagePulls: false
podCIDR: $POD_CIDR
maxPods: 60
EOF

# kube-proxy in iptables mode (this kernel has no IPVS); conntrack limits left as they are: the
# sysctls are global and not the run's to change.
cat >"$RUN/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clusterCIDR: $POD_CIDR
hostnameOverride: $NODE_NAME
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
clientConnection: {kubeconfig: $pki/kube-proxy.kubeconfig}
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF

cat >"$RUN/scheduler.yaml" <<EOF
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection: {kubeconfig: $pki/scheduler.kubeconfig}
leaderElection: {leaderElect: false}
EOF

# CoreDNS serves the cluster's names only: no forward plugin is even linked
# (tools/kube/coredns/main.go).
cat >"$RUN/Corefile" <<EOF
.:53 {
    bind $DNS_IP
    errors
    health 127.0.0.1:18080
    ready 127.0.0.1:18181
    kubernetes cluster.local in-addr.arpa {
        kubeconfig $pki/coredns.kubeconfig node
        pods insecure
        fallthrough in-addr.arpa
    }
    cache 30
}
EOF
