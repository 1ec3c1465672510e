// Galera sandbox: N MariaDB nodes with galera-4 on loopback, each with its own SQL, group
// communication (gmcast), IST and SST ports. The first node bootstraps a new cluster; the others
// join one after another by rsync SST, so each join has a donor to itself.
#include "core/fd.h"
#include "platform/local/instance_control.h"
#include "platform/sandbox/mariadb_common.h"
#include "platform/sandbox/ports.h"

namespace hasteward::platform::sandbox {

namespace {

constexpr char kGaleraProvider[] = "/usr/lib/galera/libgalera_smm.so";
constexpr int kPortsPerNode = 4;  // sql, gmcast, ist, sst
// The GTID domain of every write set the cluster replicates (wsrep_gtid_domain_id).
constexpr int kClusterGtidDomain = 1;

struct NodePorts {
  int sql, gmcast, ist, sst;
};

std::vector<std::string> GaleraSettings(const SandboxBuild& b, const std::vector<NodePorts>& all,
                                        const Instance& i) {
  const NodePorts& p = all[static_cast<size_t>(i.ordinal)];
  std::string members;
  for (const auto& n : all)
    members += (members.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(n.gmcast);
  // Binlogs on every node, for point-in-time recovery: any node may be the one archived, so each
  // logs every write set it applies (log_slave_updates), under the same binlog name. With
  // wsrep_gtid_mode every node gives a write set the same GTID in the cluster's one domain
  // (wsrep_gtid_domain_id, the same on all nodes); a node's own domain (gtid_domain_id) differs
  // from it and from every other node's, so a local transaction (wsrep_on off) never takes a
  // cluster GTID. As "Using MariaDB GTIDs with MariaDB Galera Cluster" (MariaDB docs) asks.
  return {"log_bin = mariadb-bin",
          "log_slave_updates = ON",
          "wsrep_gtid_mode = ON",
          "wsrep_gtid_domain_id = " + std::to_string(kClusterGtidDomain),
          "gtid_domain_id = " + std::to_string(kClusterGtidDomain + 1 + i.ordinal),
          "binlog_format = ROW",
          "default_storage_engine = InnoDB",
          "innodb_autoinc_lock_mode = 2",
          "wsrep_on = ON",
          std::string("wsrep_provider = ") + kGaleraProvider,
          "wsrep_cluster_name = " + b.spec.ns + "-" + b.spec.name,
          "wsrep_cluster_address = gcomm://" + members,
          "wsrep_node_name = " + i.name,
          "wsrep_node_address = 127.0.0.1:" + std::to_string(p.gmcast),
          "wsrep_provider_options = \"gmcast.listen_addr=tcp://127.0.0.1:" +
              std::to_string(p.gmcast) + "; ist.recv_addr=127.0.0.1:" + std::to_string(p.ist) +
              "; gcache.size=32M; evs.suspect_timeout=PT5S; evs.inactive_timeout=PT10S\"",
          "wsrep_sst_method = rsync",
          "wsrep_sst_receive_address = 127.0.0.1:" + std::to_string(p.sst),
          "wsrep_slave_threads = 2"};
}

core::Result<std::string> StatusValue(const Instance& i, const std::string& name) {
  HS_ASSIGN_OR_RETURN(std::string r, MariadbSql(i, "SHOW STATUS LIKE '" + name + "';"));
  auto tab = r.find('\t');
  if (tab == std::string::npos)
    return std::string();
  std::string v = r.substr(tab + 1);
  while (!v.empty() && v.back() == '\n')
    v.pop_back();
  return v;
}

// The last `count` lines of the node's error log, for a failure message: a joiner that never
// syncs has usually said why there (SST refused, port in use, donor gone).
std::string ErrorLogTail(const Instance& i, size_t count) {
  auto text = core::ReadFileToString(i.log_file);
  if (!text.ok())
    return "(no error log at '" + i.log_file + "')";
  size_t start = text->size();
  for (size_t seen = 0; start > 0 && seen <= count;) {
    --start;
    if ((*text)[start] == '\n')
      ++seen;
  }
  return text->substr(start == 0 ? 0 : start + 1);
}

core::Status WaitSynced(const Instance& i, int cluster_size) {
  core::Status synced = PollFor(
      "galera node '" + i.name + "' to be synced in a cluster of " + std::to_string(cluster_size),
      std::chrono::seconds(120), [&]() -> core::Result<bool> {
        HS_ASSIGN_OR_RETURN(std::string state, StatusValue(i, "wsrep_local_state_comment"));
        HS_ASSIGN_OR_RETURN(std::string size, StatusValue(i, "wsrep_cluster_size"));
        return state == "Synced" && size == std::to_string(cluster_size);
      });
  if (synced.ok())
    return synced;
  return {
      synced.code(),
      synced.message() + "; the end of its error log '" + i.log_file + "':\n" + ErrorLogTail(i, 20),
      synced.hint()};
}

core::Status Bootstrap(const Instance& first) {
  return StartLocalInstance(EngineKind::kGalera, first, kDefaultStartTimeout,
                            StartMode::kBootstrapNewCluster);
}

}  // namespace

core::Status BuildGalera(SandboxBuild& b) {
  Cluster& c = b.cluster;
  HS_ASSIGN_OR_RETURN(auto ports, FreeLoopbackPorts(b.spec.instances * kPortsPerNode));
  std::vector<NodePorts> node_ports;
  for (size_t n = 0; n < static_cast<size_t>(b.spec.instances); ++n) {
    node_ports.push_back({ports[4 * n], ports[4 * n + 1], ports[4 * n + 2], ports[4 * n + 3]});
  }
  HS_ASSIGN_OR_RETURN(MariadbSecrets secrets, MakeMariadbSecrets(b));
  for (int n = 0; n < b.spec.instances; ++n) {
    Instance i = MakeMariadbInstance(b, n, node_ports[static_cast<size_t>(n)].sql);
    i.labels["gmcastPort"] = std::to_string(node_ports[static_cast<size_t>(n)].gmcast);
    c.instances.push_back(std::move(i));
  }
  HS_TRY(InstallDataDir(b, c.instances[0]));
  for (auto& i : c.instances) {
    if (i.ordinal != 0)
      HS_TRY(CopyDataDir(b, c.instances[0], i));
    HS_TRY(WriteMyCnf(i, i.ordinal + 1, GaleraSettings(b, node_ports, i)));
  }
  HS_TRY(Bootstrap(c.instances[0]));
  HS_TRY(WaitSynced(c.instances[0], 1));
  auto users = MariadbSql(c.instances[0], CreateUsersSql(secrets));
  if (!users.ok()) {
    return core::Internal("create users on '" + c.instances[0].name +
                          "' failed: " + users.status().message());
  }
  for (size_t n = 1; n < c.instances.size(); ++n) {
    HS_TRY(StartLocalInstance(EngineKind::kGalera, c.instances[n]));
    HS_TRY(WaitSynced(c.instances[n], static_cast<int>(n) + 1));
  }
  return core::Status::Ok();
}

}  // namespace hasteward::platform::sandbox
