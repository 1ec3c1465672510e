// MariaDB replication sandbox: a primary and N-1 GTID replicas (async or semi-sync), each with
// its own data dir, my.cnf and loopback port. The data dir is installed once and copied, so all
// instances start from the same (empty) GTID state and the users created on the primary reach the
// replicas through the binlog.
#include <future>

#include "platform/local/instance_control.h"
#include "platform/sandbox/mariadb_common.h"
#include "platform/sandbox/ports.h"

namespace hasteward::platform::sandbox {

namespace {

std::vector<std::string> ReplicationSettings(const SandboxBuild& b, bool primary) {
  std::vector<std::string> s{"log_bin = mariadb-bin", "binlog_format = ROW",
                             "gtid_strict_mode = ON", "log_slave_updates = ON",
                             "relay_log = relay-bin", "gtid_domain_id = 0",
                             "slave_net_timeout = 10"};
  if (!primary)
    s.push_back("read_only = ON");
  if (b.spec.replication_mode == "semisync") {
    s.push_back(primary ? "rpl_semi_sync_master_enabled = ON" : "rpl_semi_sync_slave_enabled = ON");
    s.push_back("rpl_semi_sync_master_timeout = 10000");
  }
  return s;
}

core::Status StartAll(const std::vector<Instance>& instances) {
  std::vector<std::future<core::Status>> starts;
  starts.reserve(instances.size());
  for (const auto& i : instances) {
    starts.push_back(std::async(std::launch::async,
                                [&i] { return StartLocalInstance(EngineKind::kMariadb, i); }));
  }
  core::Status first;
  for (auto& f : starts) {
    core::Status st = f.get();
    if (first.ok() && !st.ok())
      first = st;
  }
  return first;
}

std::string ChangeMasterSql(const Instance& primary, const MariadbSecrets& s) {
  return "CHANGE MASTER TO MASTER_HOST='" + primary.host +
         "', MASTER_PORT=" + std::to_string(primary.port) + ", MASTER_USER='" +
         kMariadbReplicationUser + "', MASTER_PASSWORD='" + s.replication +
         "', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1;\nSTART SLAVE;\n";
}

// The replica has applied everything the primary had written when we asked.
core::Status WaitCaughtUp(const Instance& primary, const Instance& replica) {
  HS_ASSIGN_OR_RETURN(std::string pos, MariadbSql(primary, "SELECT @@gtid_binlog_pos;"));
  while (!pos.empty() && pos.back() == '\n')
    pos.pop_back();
  return PollFor("replica '" + replica.name + "' to catch up", std::chrono::seconds(60),
                 [&]() -> core::Result<bool> {
                   HS_ASSIGN_OR_RETURN(
                       std::string r,
                       MariadbSql(replica, "SELECT MASTER_GTID_WAIT('" + pos + "', 1);"));
                   return r.rfind('0', 0) == 0;
                 });
}

core::Result<bool> SemisyncClients(const Instance& primary, int want) {
  HS_ASSIGN_OR_RETURN(std::string r, MariadbSql(primary,
                                                "SHOW STATUS LIKE "
                                                "'Rpl_semi_sync_master_clients';"));
  auto tab = r.find('\t');
  return tab != std::string::npos && std::stoi(r.substr(tab + 1)) >= want;
}

}  // namespace

core::Status BuildMariadbReplication(SandboxBuild& b) {
  Cluster& c = b.cluster;
  HS_ASSIGN_OR_RETURN(auto ports, FreeLoopbackPorts(b.spec.instances));
  HS_ASSIGN_OR_RETURN(MariadbSecrets secrets, MakeMariadbSecrets(b));
  for (int n = 0; n < b.spec.instances; ++n) {
    Instance i = MakeMariadbInstance(b, n, ports[static_cast<size_t>(n)]);
    i.labels["role"] = n == 0 ? "primary" : "replica";
    c.instances.push_back(std::move(i));
  }
  HS_TRY(InstallDataDir(b, c.instances[0]));
  for (auto& i : c.instances) {
    if (i.ordinal != 0)
      HS_TRY(CopyDataDir(b, c.instances[0], i));
    HS_TRY(WriteMyCnf(i, i.ordinal + 1, ReplicationSettings(b, i.ordinal == 0)));
  }
  HS_TRY(StartAll(c.instances));
  const Instance& primary = c.instances[0];
  bool semisync = b.spec.replication_mode == "semisync" && c.instances.size() > 1;
  // Until a replica is connected every semi-sync commit would wait out the master timeout, so
  // the setup statements run with semi-sync off; it is switched on once the replicas are in.
  if (semisync) {
    auto off = MariadbSql(primary, "SET GLOBAL rpl_semi_sync_master_enabled = OFF;");
    if (!off.ok())
      return off.TakeStatus();
  }
  auto users = MariadbSql(primary, CreateUsersSql(secrets));
  if (!users.ok()) {
    return core::Internal("create users on '" + primary.name +
                          "' failed: " + users.status().message());
  }
  for (size_t n = 1; n < c.instances.size(); ++n) {
    auto r = MariadbSql(c.instances[n], ChangeMasterSql(primary, secrets));
    if (!r.ok())
      return core::Internal("configure replica '" + c.instances[n].name + "' failed");
  }
  for (size_t n = 1; n < c.instances.size(); ++n) {
    HS_TRY(WaitCaughtUp(primary, c.instances[n]));
  }
  if (semisync) {
    auto on = MariadbSql(primary, "SET GLOBAL rpl_semi_sync_master_enabled = ON;");
    if (!on.ok())
      return on.TakeStatus();
    int want = static_cast<int>(c.instances.size()) - 1;
    HS_TRY(PollFor("semi-sync replicas of '" + c.name + "'", std::chrono::seconds(30),
                   [&] { return SemisyncClients(primary, want); }));
  }
  return core::Status::Ok();
}

}  // namespace hasteward::platform::sandbox
