// Where the cluster's other instances reach an instance, when that differs from Instance::host/port
// (where this process connects). The kubernetes platform reaching pods through the API server
// hands out a local port-forward as host/port and keeps the pod's own address as the peer address.
// Whatever runs in an instance or is configured into one (a replication source, a base backup run
// in a peer, the server's own listen settings) uses the peer address; everything this process
// dials uses host/port. Kept in Instance::labels, where platforms keep what only they know (a
// pod's name, a Galera node's gmcast port): an instance without one is its own peer address.
#pragma once

#include <string>
#include <string_view>

#include "platform/cluster.h"

namespace hasteward::platform {

inline constexpr const char* kPeerHostLabel = "peerHost";
inline constexpr const char* kPeerPortLabel = "peerPort";
// The name under which the other instances reach an instance for as long as it exists, across
// restarts that give it another address: a StatefulSet pod's DNS name through its governing
// Service ("<pod>.<service>.<namespace>.svc", completed by the pods' DNS search path), which is
// what the operators configure. A pod's IP changes whenever it is recreated (a restore's scale
// to zero and back, a node drain), and a replica pointed at the old one never reconnects.
inline constexpr const char* kStableHostLabel = "stableHost";

// The peer host: the label when set, else host.
const std::string& PeerHost(const Instance& instance);
// The peer port: the label when set (and a port), else port.
int PeerPort(const Instance& instance);
// What is configured into another instance for good (a replica's source) names: the stable
// host when the platform gives one, else the peer host.
const std::string& StableHost(const Instance& instance);
// Whether a peer address other than host/port was set.
bool HasPeerAddress(const Instance& instance);
void SetPeerAddress(Instance& instance, const std::string& host, int port);
void ClearPeerAddress(Instance& instance);

// Whether `host`:`port`, as another instance's replication source names it, is this instance:
// the port must be its peer port (on plain hosts every server may listen on 3306, so the port
// alone tells nothing), and the host its peer host, its stable host, its name or a DNS name
// under it
// (operators point replicas at `<pod>.<service>...`), or a loopback name when its own address is
// loopback too (a sandbox's replicas may name "localhost").
bool NamesInstance(const Instance& instance, std::string_view host, int port);

}  // namespace hasteward::platform
