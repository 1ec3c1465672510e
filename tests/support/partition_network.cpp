#include "support/partition_network.h"

#include <cerrno>
#include <cstring>

#include <net/if.h>
#include <sched.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/fd.h"
#include "support/command.h"

namespace hasteward::testing {

namespace {

constexpr const char* kTable = "ip hasteward_partition";

// Connections are classed at their first packet (ct state new) by the owner of the socket that
// sent it; every later packet of either direction carries that class, so a cut set naming the
// original destination port drops the whole connection.
std::string Ruleset() {
  return std::string("table ") + kTable +
         " {\n"
         "  set cut_hasteward { type inet_service; }\n"
         "  set cut_peers { type inet_service; }\n"
         "  chain out {\n"
         "    type filter hook output priority 0; policy accept;\n"
         "    ct state new meta skuid 0 ct mark set 0x1\n"
         "    ct state new meta skuid != 0 meta skuid != " +
         std::to_string(kObserverUid) +
         " ct mark set 0x2\n"
         "    ct mark 0x1 meta l4proto tcp ct original proto-dst @cut_hasteward drop\n"
         "    ct mark 0x2 meta l4proto tcp ct original proto-dst @cut_peers drop\n"
         "  }\n"
         "}\n";
}

const char* SetOf(PartitionNetwork::Side side) {
  return side == PartitionNetwork::Side::kHasteward ? "cut_hasteward" : "cut_peers";
}

core::Status LoopbackUp() {
  core::UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock.valid())
    return core::ErrnoStatus("socket for the loopback", errno);
  struct ifreq request {};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(sock.get(), SIOCGIFFLAGS, &request) != 0)
    return core::ErrnoStatus("read the loopback's flags", errno);
  request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
  if (::ioctl(sock.get(), SIOCSIFFLAGS, &request) != 0)
    return core::ErrnoStatus("bring the loopback up", errno);
  return {};
}

}  // namespace

AsObserver::AsObserver() : previous_(static_cast<uid_t>(::setfsuid(kObserverUid))) {}

AsObserver::~AsObserver() {
  ::setfsuid(previous_);
}

core::Result<std::unique_ptr<PartitionNetwork>> PartitionNetwork::Enter() {
  if (::geteuid() != 0)
    return core::Status(core::ErrorCode::kUsage, "partition tests need root",
                        "run the test as root (CI does)");
  if (::unshare(CLONE_NEWNET) != 0)
    return core::ErrnoStatus("unshare(CLONE_NEWNET)", errno);
  HS_TRY(LoopbackUp());
  std::unique_ptr<PartitionNetwork> net(new PartitionNetwork());
  const std::string rules =
      WriteFile("/tmp/hasteward-partition-" + std::to_string(::getpid()) + ".nft", Ruleset());
  CmdResult loaded = RunCommand({"nft", "-f", rules});
  ::unlink(rules.c_str());
  if (loaded.exit_code != 0)
    return core::Internal("nft -f (the partition table): " + loaded.err);
  return net;
}

core::Status PartitionNetwork::Nft(const std::string& command) {
  CmdResult r = RunCommand({"nft", command});
  if (r.exit_code != 0)
    return core::Internal("nft " + command + ": " + r.err);
  return {};
}

core::Status PartitionNetwork::Cut(Side side, int port) {
  HS_TRY(Nft(std::string("add element ") + kTable + " " + SetOf(side) + " { " +
             std::to_string(port) + " }"));
  cuts_.insert({side, port});
  return {};
}

core::Status PartitionNetwork::Heal(Side side, int port) {
  if (cuts_.count({side, port}) == 0)
    return {};
  HS_TRY(Nft(std::string("delete element ") + kTable + " " + SetOf(side) + " { " +
             std::to_string(port) + " }"));
  cuts_.erase({side, port});
  return {};
}

core::Status PartitionNetwork::HealAll() {
  auto cuts = cuts_;
  for (const auto& [side, port] : cuts)
    HS_TRY(Heal(side, port));
  return {};
}

std::string PartitionNetwork::Describe() const {
  std::string out;
  for (const auto& [side, port] : cuts_) {
    out += (out.empty() ? "" : " ") +
           std::string(side == Side::kHasteward ? "hasteward|" : "peers|") + std::to_string(port);
  }
  return out.empty() ? "none" : out;
}

}  // namespace hasteward::testing
