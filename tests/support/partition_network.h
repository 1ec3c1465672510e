// The network of a partition test (issue #32): the test process moves into a network namespace of
// its own (unshare(CLONE_NEWNET), loopback up), so every server, client and hasteward it starts
// afterwards shares a loopback that nothing else on the machine sees, and nftables rules inside
// that namespace cut TCP connections by who opened them and which port they go to:
//   - hasteward: connections opened by root (hasteward and the tools it runs as root);
//   - peers: connections opened by a server's OS user (replication between instances);
//   - the observer: connections opened under kObserverUid (AsObserver: the test's writer and its
//     writability probes), which no rule cuts, so the test sees every side of a partition.
// A connection keeps its class for its life (the ct mark of its first packet), and a cut drops
// both directions of it, established or new. No rule touches the machine's own firewall: the
// table lives and dies with the namespace.
//
//   auto net = PartitionNetwork::Enter();   // first, before any server starts
//   ASSERT_TRUE(net.ok()) << net.status().ToString();
//   (*net)->Cut(PartitionNetwork::Side::kHasteward, primary_port);
//   ... (*net)->HealAll();
#pragma once

#include <memory>
#include <set>
#include <string>
#include <utility>

#include <sys/types.h>

#include "core/status.h"

namespace hasteward::testing {

// The uid whose sockets are never cut (nobody).
inline constexpr uid_t kObserverUid = 65534;

// While alive, sockets this thread creates belong to kObserverUid (setfsuid: this thread only;
// files it opens meanwhile are opened as that user too, so keep the scope to the connect call).
class AsObserver {
 public:
  AsObserver();
  ~AsObserver();
  AsObserver(const AsObserver&) = delete;
  AsObserver& operator=(const AsObserver&) = delete;

 private:
  uid_t previous_;
};

class PartitionNetwork {
 public:
  enum class Side { kHasteward, kPeers };

  // Moves this process into a new network namespace with loopback up and the cutting table
  // loaded. kUsage when not root or when the kernel refuses the namespace.
  static core::Result<std::unique_ptr<PartitionNetwork>> Enter();

  // Cuts every connection of `side` to `port` (both directions), or heals it. Idempotent.
  core::Status Cut(Side side, int port);
  core::Status Heal(Side side, int port);
  core::Status HealAll();
  // "hasteward|5433 peers|5434" for logs.
  std::string Describe() const;

 private:
  PartitionNetwork() = default;
  core::Status Nft(const std::string& command);

  std::set<std::pair<Side, int>> cuts_;
};

}  // namespace hasteward::testing
