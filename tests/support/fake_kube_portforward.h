// Pod port-forward of the test kubelet (KubeletAgent) over WebSocket (v4.channel.k8s.io), as the
// kubelet serves it: for the one requested port, channel 0 carries data and channel 1 errors; the
// server's first message on each channel is the port (2 bytes, little-endian). The fake dials the
// pod's status.podIP and the port from its own network namespace and relays; a failed dial is a
// message on the error channel. Checked with python3-kubernetes' portforward in
// tests/platform/kubernetes/fake_kube_api_fidelity_test.cpp.
#pragma once

#include <string>
#include <utility>

#include "platform/kubernetes/net_stream.h"

namespace hasteward::testing {

struct FakePortForwardRequest {
  std::string pod;  // for the error text
  std::string pod_ip;
  int port = 0;
  bool wrong_port_prefix = false;  // a broken server, for fidelity
  // (named, dialled): a forward of port `named` dials `dialled` (KubeletAgent::SetPodPortAlias).
  std::pair<int, int> port_alias = {0, 0};
  // The port dialled for a forward of `named`.
  int Dialled(int named) const { return named == port_alias.first ? port_alias.second : named; }
};

// Runs the session on a connection already upgraded to WebSocket; returns when either side ends.
void RunFakePortForwardSession(platform::kubernetes::NetStream& stream,
                               platform::kubernetes::BufferedReader& reader,
                               const FakePortForwardRequest& request);

// The same over SPDY/3.1 (portforward.k8s.io), as a kubelet serves it: the port comes from each
// stream pair's headers (fake_kubelet_portforward_spdy.cpp).
void RunFakeSpdyPortForwardSession(platform::kubernetes::NetStream& stream,
                                   platform::kubernetes::BufferedReader& reader,
                                   const FakePortForwardRequest& request);

}  // namespace hasteward::testing
