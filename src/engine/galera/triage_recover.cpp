#include "engine/galera/triage_recover.h"

#include <cstdlib>
#include <regex>

#include "core/fd.h"

namespace hasteward::engine::galera {

namespace {

// The server binary from the recorded start argv (…/mariadbd or …/mysqld), else "mariadbd".
std::string ServerBinary(const platform::Instance& i) {
  for (const auto& a : i.start_command) {
    auto slash = a.rfind('/');
    std::string base = a.substr(slash == std::string::npos ? 0 : slash + 1);
    if (base == "mariadbd" || base == "mysqld")
      return a;
  }
  return i.bin_dir.empty() ? "mariadbd" : i.bin_dir + "/mariadbd";
}

constexpr char kRecoverScript[] =
    "d=$(mktemp -d) || exit 1; "
    "timeout -k 5 \"$3\" \"$1\" --defaults-file=\"$2\" --wsrep-recover "
    "--log-error=\"$d/recover.log\" >/dev/null 2>&1; rc=$?; "
    "cat \"$d/recover.log\" 2>/dev/null; rm -rf \"$d\"; exit $rc";

}  // namespace

std::optional<GaleraPosition> ParseRecoveredPosition(const std::string& log) {
  static const std::regex kLine(
      "Recovered position:?\\s+([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
      "[0-9a-fA-F]{12}):(-?[0-9]+)");
  std::optional<GaleraPosition> out;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), kLine); it != std::sregex_iterator();
       ++it) {
    GaleraPosition p;
    p.uuid = (*it)[1];
    p.seqno = std::atoll((*it)[2].str().c_str());
    p.source = "wsrep-recover";
    out = p;
  }
  if (out && !out->valid())
    return std::nullopt;
  return out;
}

core::Result<GaleraPosition> RecoverPosition(platform::Platform& platform,
                                             const platform::Cluster& cluster,
                                             const platform::Instance& instance,
                                             std::chrono::seconds timeout) {
  if (instance.config_file.empty()) {
    return core::Status(core::ErrorCode::kNotFound,
                        "node '" + instance.name + "' has no config file in the inventory",
                        "add configFile to the instance so wsrep-recover can read its settings");
  }
  core::SubprocessOptions o;
  o.argv = {"sh",
            "-c",
            kRecoverScript,
            "wsrep-recover",
            ServerBinary(instance),
            instance.config_file,
            std::to_string(timeout.count())};
  o.env_set["LC_ALL"] = "C";
  HS_ASSIGN_OR_RETURN(auto proc, platform.Exec(cluster, instance, std::move(o)));
  std::string out;
  std::vector<uint8_t> buf(16384);
  while (true) {
    HS_ASSIGN_OR_RETURN(size_t n, core::ReadSome(proc->stdout_fd(), buf));
    if (n == 0)
      break;
    out.append(reinterpret_cast<const char*>(buf.data()), n);
  }
  core::ExitStatus st = proc->Wait();
  if (st.exit_code == 124 || st.exit_code == 137) {
    return core::Status(core::ErrorCode::kTimeout,
                        "wsrep-recover of '" + instance.name + "' timed out after " +
                            std::to_string(timeout.count()) + " s",
                        "check the node's error log; its position stays UNKNOWN");
  }
  auto pos = ParseRecoveredPosition(out);
  if (!st.ok() || !pos) {
    std::string tail = out.size() > 400 ? out.substr(out.size() - 400) : out;
    return core::Status(core::ErrorCode::kInternal,
                        "wsrep-recover of '" + instance.name + "' gave no position (" +
                            st.Describe() + "): " + tail,
                        "check the node's data directory and error log; its position stays "
                        "UNKNOWN");
  }
  return *pos;
}

GaleraPosition PositionFromFacts(const InstanceHealth& h) {
  GaleraPosition p;
  p.uuid = h.Fact("position_uuid");
  std::string s = h.Fact("position_seqno");
  p.seqno = s.empty() ? -1 : std::atoll(s.c_str());
  p.source = h.Fact("position_source");
  return p;
}

void ReadPosition(platform::Platform& platform, const platform::Cluster& cluster,
                  InstanceHealth* h) {
  GaleraPosition p;
  if (h->state == InstanceState::kHealthy || h->state == InstanceState::kDegraded) {
    p.uuid = h->Fact("wsrep_cluster_state_uuid");
    std::string lc = h->Fact("wsrep_last_committed");
    p.seqno = lc.empty() ? -1 : std::atoll(lc.c_str());
    p.source = "wsrep";
  } else if (h->state == InstanceState::kStopped) {
    p.uuid = h->Fact("grastate_uuid");
    std::string s = h->Fact("grastate_seqno");
    p.seqno = s.empty() ? -1 : std::atoll(s.c_str());
    p.source = "grastate";
    if (!p.valid()) {
      auto r = RecoverPosition(platform, cluster, h->instance, std::chrono::seconds(120));
      if (r.ok()) {
        p = *r;
      } else {
        h->facts["position_error"] = r.status().message();
        return;
      }
    }
  } else {
    h->facts["position_error"] = "node state is unknown: " + h->error;
    return;
  }
  if (!p.valid()) {
    h->facts["position_error"] =
        "no valid position (uuid '" + p.uuid + "', seqno " + std::to_string(p.seqno) + ")";
    return;
  }
  h->facts["position_uuid"] = p.uuid;
  h->facts["position_seqno"] = std::to_string(p.seqno);
  h->facts["position_source"] = p.source;
}

}  // namespace hasteward::engine::galera
