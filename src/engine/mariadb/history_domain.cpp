#include "engine/mariadb/history_domain.h"

#include <charconv>
#include <limits>

#include "engine/mariadb/mariadb_connection.h"
#include "engine/mariadb/override_file.h"
#include "engine/mariadb/triage.h"

namespace hasteward::engine::mariadb {

void HistoryDomains::AddDomain(uint32_t domain) {
  highest_ = highest_ ? std::max(*highest_, domain) : domain;
}

void HistoryDomains::AddDomainText(const std::string& text) {
  uint32_t domain = 0;
  auto parsed = std::from_chars(text.data(), text.data() + text.size(), domain);
  if (!text.empty() && parsed.ec == std::errc() && parsed.ptr == text.data() + text.size())
    AddDomain(domain);
}

void HistoryDomains::AddPosition(const std::string& gtid_list) {
  for (const auto& [domain, position] : ParseGtidList(gtid_list)) {
    if (domain >= 0 && domain <= static_cast<long>(std::numeric_limits<uint32_t>::max()))
      AddDomain(static_cast<uint32_t>(domain));
  }
}

core::Result<uint32_t> HistoryDomains::Next() const {
  if (!highest_)
    return 1;
  if (*highest_ == std::numeric_limits<uint32_t>::max()) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "the cluster's GTID positions already use domain " +
                            std::to_string(*highest_) +
                            ", the last one: a restore has no new domain to start its history in",
                        "nothing was changed; lower gtid_domain_id on the instances and restore "
                        "into emptied data directories, or restore a logical dump");
  }
  return *highest_ + 1;
}

namespace {

// What one instance's running server or configuration says about the domains it used.
core::Status AddInstanceDomains(platform::InstanceHandle& handle, HistoryDomains& domains) {
  // The configuration names the domain a stopped server wrote in (a restore's own, persisted).
  auto startup = ReadStartupOptions(handle);
  if (startup.ok() && startup->count("gtid_domain_id"))
    domains.AddDomainText(startup->at("gtid_domain_id"));
  HS_ASSIGN_OR_RETURN(bool running, handle.IsRunning());
  if (!running)
    return startup.ok() ? core::Status::Ok() : startup.status();
  HS_ASSIGN_OR_RETURN(auto conn, MariadbConnection::ConnectInstance(handle));
  HS_ASSIGN_OR_RETURN(SqlRows vars, conn->Query("SELECT @@global.gtid_binlog_pos AS b, "
                                                "@@global.gtid_slave_pos AS s, "
                                                "@@global.gtid_domain_id AS d"));
  domains.AddPosition(vars.GetOr(0, "b"));
  domains.AddPosition(vars.GetOr(0, "s"));
  domains.AddDomainText(vars.GetOr(0, "d"));
  return core::Status::Ok();
}

}  // namespace

core::Result<uint32_t> ChooseHistoryDomain(platform::Platform& platform,
                                           const platform::Cluster& cluster,
                                           const std::map<std::string, std::string>& facts,
                                           const NativeRestoreOptions& options,
                                           std::string* unread) {
  HistoryDomains domains;
  for (const char* key : {"gtid_position", "gtid_slave_pos"}) {
    if (auto it = facts.find(key); it != facts.end())
      domains.AddPosition(it->second);
    if (auto it = options.reaches.find(key); it != options.reaches.end())
      domains.AddPosition(it->second);
  }
  if (options.newest_taken_gtid_domain)
    domains.AddDomain(*options.newest_taken_gtid_domain);
  for (const auto& instance : cluster.instances) {
    auto handle = platform.OpenInstance(cluster, instance);
    core::Status read = handle.ok() ? AddInstanceDomains(**handle, domains) : handle.status();
    if (!read.ok() && unread != nullptr)
      *unread += (unread->empty() ? "'" : ", '") + instance.name + "' (" + read.message() + ")";
  }
  return domains.Next();
}

core::Result<std::string> PersistHistoryDomain(const platform::InstanceHandle& handle,
                                               uint32_t domain) {
  auto saved = PersistOverrides(handle, {{"gtid_domain_id", std::to_string(domain)}});
  if (!saved.ok() && saved.status().code() == core::ErrorCode::kUsage)
    return saved.status().message();
  HS_TRY(saved.status());
  return std::string();
}

core::Status SetHistoryDomain(const platform::InstanceHandle& handle, uint32_t domain) {
  HS_ASSIGN_OR_RETURN(auto conn, MariadbConnection::ConnectInstance(handle));
  return conn->Execute("SET GLOBAL gtid_domain_id = " + std::to_string(domain))
      .Wrap("set gtid_domain_id = " + std::to_string(domain) + " on '" + handle.instance().name +
            "'");
}

// Why a re-cloned replica takes its primary's domain: it holds the primary's history now, and
// when it is promoted later (switchover, failover) its own writes must continue that history's
// domain. With the domain it had before (0 on an instance a restore never rebuilt: a fenced old
// primary rejoined by repair, the others of an instant restore, re-cloned after hydration) it
// would name its writes like the history a restore abandoned (0-1-43 on both sides), which is
// what the restore's new domain exists to prevent (mariadb_history_property_test, seed 4).
core::Result<std::string> FollowHistoryDomain(platform::InstanceHandle& replica,
                                              const platform::InstanceHandle& primary) {
  HS_ASSIGN_OR_RETURN(auto primary_conn, MariadbConnection::ConnectInstance(primary));
  HS_ASSIGN_OR_RETURN(SqlRows primary_vars,
                      primary_conn->Query("SELECT @@global.gtid_domain_id AS d"));
  HistoryDomains domains;
  domains.AddDomainText(primary_vars.GetOr(0, "d"));
  if (!domains.highest())
    return core::Internal("'" + primary.instance().name + "' reported no gtid_domain_id");
  const uint32_t domain = *domains.highest();
  auto startup = ReadStartupOptions(replica);
  const bool persisted = startup.ok() && startup->count("gtid_domain_id") &&
                         startup->at("gtid_domain_id") == std::to_string(domain);
  std::string why_not;
  if (!persisted && !(domain == 0 && startup.ok() && !startup->count("gtid_domain_id"))) {
    HS_ASSIGN_OR_RETURN(why_not, PersistHistoryDomain(replica, domain));
  }
  HS_TRY(SetHistoryDomain(replica, domain));
  return why_not;
}

}  // namespace hasteward::engine::mariadb
