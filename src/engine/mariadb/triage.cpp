#include "engine/mariadb/triage.h"

#include <cstdlib>
#include <sstream>

#include "core/clock.h"
#include "engine/mariadb/mariadb_connection.h"
#include "engine/mariadb/mariadb_engine.h"
#include "engine/mariadb/override_file.h"
#include "engine/mariadb/persisted_fence.h"
#include "engine/mariadb/semisync_mode.h"

namespace hasteward::engine::mariadb {

namespace {

InstanceHealth FromProbe(InstanceHandles& handles, const InstanceProbe& p) {
  InstanceHealth h;
  h.instance = *p.instance;
  auto handle = handles.Open(*p.instance);
  if (handle.ok() && ReadsPersistedFence(**handle))
    h.facts["persisted_fence"] = "read_only";
  if (!p.status.ok()) {
    auto running = handle.ok() ? (*handle)->IsRunning() : core::Result<bool>(handle.status());
    h.state = running.ok() && !*running ? InstanceState::kStopped : InstanceState::kUnknown;
    h.error = p.status.message();
    return h;
  }
  h.facts = p.vars;
  h.facts["read_only"] = p.read_only ? "ON" : "OFF";
  h.writable = !p.read_only;
  h.state = InstanceState::kHealthy;
  if (p.replication.empty()) {
    h.role = InstanceRole::kPrimary;
    return h;
  }
  h.role = InstanceRole::kReplica;
  std::string why;
  int lag = 0;
  if (ReplicaHealthy(p.replication, MariadbEngine::kMaxBackupLagSeconds * 3, &why, &lag)) {
    h.facts["lag_seconds"] = std::to_string(lag);
  } else {
    h.state = InstanceState::kDegraded;
    h.facts["replication_problem"] = why;
  }
  h.facts["master_port"] = p.replication.GetOr(0, "Master_Port");
  return h;
}

// The semi-sync variables `health` would start with, as kPersistedPrefix facts (the server's
// defaults where the config says nothing), or a "config_error" fact when the config cannot be read.
void ReadPersistedSemisync(InstanceHandles& handles, InstanceHealth* health) {
  auto handle = handles.Open(health->instance);
  core::Result<OptionOverrides> startup =
      handle.ok() ? ReadStartupOptions(**handle) : core::Result<OptionOverrides>(handle.status());
  if (!startup.ok()) {
    health->facts["config_error"] = startup.status().message();
    return;
  }
  const std::pair<const char*, const char*> kDefaults[] = {{kSemisyncMasterEnabled, "OFF"},
                                                           {kSemisyncSlaveEnabled, "OFF"},
                                                           {kSemisyncWaitPoint, "AFTER_COMMIT"}};
  for (const auto& [name, server_default] : kDefaults) {
    auto it = startup->find(name);
    health->facts[std::string(kPersistedPrefix) + name] =
        it == startup->end() ? server_default : it->second;
  }
}

}  // namespace

void MarkFencedOldPrimaries(std::vector<InstanceHealth>* instances) {
  bool writable_primary = false;
  for (const auto& h : *instances) {
    writable_primary =
        writable_primary || (h.readable() && h.role == InstanceRole::kPrimary && h.writable);
  }
  for (auto& h : *instances) {
    bool fenced_config = h.Fact("persisted_fence") == "read_only";
    bool stopped_fenced = h.state == InstanceState::kStopped && fenced_config;
    bool running_fenced = h.readable() && h.role == InstanceRole::kPrimary && !h.writable &&
                          (writable_primary || fenced_config);
    if (!stopped_fenced && !running_fenced)
      continue;
    h.facts["fenced_old_primary"] = "yes";
    if (running_fenced)
      h.state = InstanceState::kDegraded;
  }
}

std::map<long, std::pair<long, long>> ParseGtidList(const std::string& list) {
  std::map<long, std::pair<long, long>> out;
  std::istringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    item.erase(0, item.find_first_not_of(" \n"));
    long d = 0, s = 0, n = 0;
    char dash1 = 0, dash2 = 0;
    std::istringstream f(item);
    if (f >> d >> dash1 >> s >> dash2 >> n && dash1 == '-' && dash2 == '-') {
      // A GTID state lists each server of a domain (a Gtid_list event, gtid_binlog_state); the
      // domain stands at its highest sequence number. Galera stamps one domain with several
      // server ids (the bootstrapping node's, and -1), and a state sorted by server id put an
      // older sequence last: a Galera base's position came out behind its data.
      auto it = out.find(d);
      if (it == out.end() || n >= it->second.second) {
        out[d] = {s, n};
      }
    }
  }
  return out;
}

std::string ErrantGtids(const std::string& replica, const std::string& primary) {
  auto r = ParseGtidList(replica);
  auto p = ParseGtidList(primary);
  std::string out;
  for (const auto& [domain, pos] : r) {
    auto it = p.find(domain);
    if (it == p.end() || pos.second > it->second.second) {
      out += (out.empty() ? "" : ",") + std::to_string(domain) + "-" + std::to_string(pos.first) +
             "-" + std::to_string(pos.second);
    }
  }
  return out;
}

std::string LocalGtids(const std::string& binlog_pos, const std::string& slave_pos,
                       const std::string& server_id) {
  auto binlog = ParseGtidList(binlog_pos);
  auto slave = ParseGtidList(slave_pos);
  long own = std::atol(server_id.c_str());
  std::string out;
  for (const auto& [domain, pos] : binlog) {
    auto it = slave.find(domain);
    if (pos.first == own && own != 0 && (it == slave.end() || it->second != pos)) {
      out += (out.empty() ? "" : ",") + std::to_string(domain) + "-" + std::to_string(pos.first) +
             "-" + std::to_string(pos.second);
    }
  }
  return out;
}

std::string UnreceivedLocalGtids(const InstanceHealth& instance, const InstanceHealth& primary) {
  auto local =
      ParseGtidList(LocalGtids(instance.Fact("gtid_binlog_pos"), instance.Fact("gtid_slave_pos"),
                               instance.Fact("server_id")));
  auto applied = ParseGtidList(primary.Fact("gtid_slave_pos"));
  auto written = ParseGtidList(primary.Fact("gtid_binlog_pos"));
  auto received = [](const std::map<long, std::pair<long, long>>& list, long domain,
                     const std::pair<long, long>& gtid) {
    auto it = list.find(domain);
    return it != list.end() && it->second.first == gtid.first && it->second.second >= gtid.second;
  };
  std::string out;
  for (const auto& [domain, gtid] : local) {
    if (received(applied, domain, gtid) || received(written, domain, gtid))
      continue;
    out += (out.empty() ? "" : ",") + std::to_string(domain) + "-" + std::to_string(gtid.first) +
           "-" + std::to_string(gtid.second);
  }
  return out;
}

namespace {

// How many instances take writes: more than one is split-brain; none is an outage for the
// clients, whether no instance is a primary or the primary is read-only.
void AddWriterFindings(const std::vector<const InstanceHealth*>& writable,
                       const std::vector<const InstanceHealth*>& primaries,
                       std::vector<Finding>* findings, Verdict* verdict) {
  Verdict& v = *verdict;
  // read_only=OFF on more than one instance lets clients commit on both: split-brain whether or
  // not anyone wrote yet (MariaDB replication has no fencing of its own).
  if (writable.size() > 1) {
    std::string names;
    for (const auto* w : writable)
      names += (names.empty() ? "'" : ", '") + w->instance.name + "'";
    findings->push_back({Severity::kCritical, "", "more than one writable instance: " + names});
    Raise(&v, Verdict::kSplitBrain);
  }
  if (primaries.empty()) {
    findings->push_back(
        {Severity::kCritical, "", "no primary (every readable instance replicates)"});
    Raise(&v, Verdict::kDegraded);
  } else if (writable.empty()) {
    // A primary left read-only (an interrupted switchover's fence, a failed undo) takes no
    // writes: the cluster is down for its clients even though every instance answers.
    std::string names;
    for (const auto* p : primaries)
      names += (names.empty() ? "'" : ", '") + p->instance.name + "'";
    findings->push_back({Severity::kCritical, "",
                         "no writable instance: the primary " + names +
                             " is read-only (run the interrupted switchover again, or 'hasteward "
                             "repair')"});
    Raise(&v, Verdict::kDegraded);
  }
}

// A failed-over old primary: degraded until repair rejoins it, split-brain when it holds commits
// the writable primary never received.
void AddFencedOldPrimaryFinding(const InstanceHealth& i,
                                const std::vector<const InstanceHealth*>& writable,
                                std::vector<Finding>* findings, Verdict* verdict) {
  // Transactions it wrote after the replicas last received from it (a failover promoted one
  // of them) fork the history: re-cloning it discards them, so that takes --force, and is
  // what the split-brain verdict asks for.
  std::string forked = writable.size() == 1 ? UnreceivedLocalGtids(i, *writable[0]) : "";
  if (!forked.empty()) {
    findings->push_back(
        {Severity::kCritical, i.instance.name,
         "fenced old primary holds transactions the primary lacks (" + forked +
             "): written after its replicas last received from it (under semi-sync, never "
             "acknowledged); 'hasteward repair --force' captures it (type=diverged) and "
             "rejoins it"});
    Raise(verdict, Verdict::kSplitBrain);
    return;
  }
  findings->push_back({Severity::kWarning, i.instance.name,
                       "fenced old primary (read-only, replicates from no one): run "
                       "'hasteward repair' to rejoin it as a replica"});
  Raise(verdict, Verdict::kDegraded);
}

}  // namespace

Verdict MariadbVerdict(const std::vector<InstanceHealth>& instances,
                       std::vector<Finding>* findings) {
  Verdict v = Verdict::kHealthy;
  AddUnreadableFindings(instances, findings, &v);
  std::vector<const InstanceHealth*> writable, primaries;
  for (const auto& i : instances) {
    bool readable = i.state == InstanceState::kHealthy || i.state == InstanceState::kDegraded;
    if (readable && i.writable)
      writable.push_back(&i);
    if (readable && i.role == InstanceRole::kPrimary)
      primaries.push_back(&i);
  }
  AddWriterFindings(writable, primaries, findings, &v);
  for (const auto& i : instances) {
    if (i.role == InstanceRole::kReplica && primaries.size() == 1) {
      std::string errant =
          ErrantGtids(i.Fact("gtid_current_pos"), primaries[0]->Fact("gtid_binlog_pos"));
      if (errant.empty()) {
        errant =
            LocalGtids(i.Fact("gtid_binlog_pos"), i.Fact("gtid_slave_pos"), i.Fact("server_id"));
      }
      // A replica holding GTIDs its primary lacks was written to directly: its data is no
      // longer a copy of the primary's, and re-cloning it would lose those writes.
      if (!errant.empty()) {
        findings->push_back(
            {Severity::kCritical, i.instance.name,
             "errant transactions: the replica has GTIDs the primary lacks (" + errant + ")"});
        Raise(&v, Verdict::kSplitBrain);
      }
    }
    // A demoted old primary that replicates from no one (a failover's, or one whose repoint
    // failed): read-only, so it takes no writes, but it is out of the cluster until repair rejoins
    // it as a replica (TriageMariadb marks it degraded so repair heals it).
    if (i.Fact("fenced_old_primary") == "yes") {
      AddFencedOldPrimaryFinding(i, writable, findings, &v);
      continue;
    }
    if (i.state == InstanceState::kDegraded) {
      findings->push_back({Severity::kWarning, i.instance.name,
                           "replication broken or lagging: " + i.Fact("replication_problem")});
      Raise(&v, Verdict::kDegraded);
    }
    if (i.role == InstanceRole::kPrimary && i.Fact("rpl_semi_sync_master_enabled") == "ON" &&
        i.Fact("Rpl_semi_sync_master_status") == "OFF") {
      findings->push_back({Severity::kWarning, i.instance.name,
                           "semi-sync is enabled but fell back to async (no semi-sync replica)"});
      Raise(&v, Verdict::kDegraded);
    }
  }
  return v;
}

core::Result<TriageReport> TriageMariadb(platform::Platform& platform,
                                         const platform::Cluster& cluster) {
  const core::Clock& clock = core::SystemClock::Get();
  auto start = clock.Monotonic();
  TriageReport report;
  report.cluster = cluster.name;
  report.ns = cluster.ns;
  report.engine = cluster.engine;
  InstanceHandles handles(platform, cluster);  // one per instance for the whole triage
  std::vector<InstanceProbe> probes = ProbeInstances(handles, false);
  for (const auto& p : probes) {
    report.instances.push_back(FromProbe(handles, p));
  }
  for (auto& h : report.instances) {  // re-read primaries last (see header)
    if (h.role != InstanceRole::kPrimary)
      continue;
    auto handle = handles.Open(h.instance);
    if (!handle.ok())
      continue;
    auto conn = MariadbConnection::ConnectInstance(**handle);
    if (!conn.ok())
      continue;
    auto pos = (*conn)->QueryValue("SELECT @@global.gtid_binlog_pos");
    if (pos.ok())
      h.facts["gtid_binlog_pos"] = pos->value_or("");
  }
  for (auto& h : report.instances) {
    if (h.readable())
      ReadPersistedSemisync(handles, &h);
  }
  MarkFencedOldPrimaries(&report.instances);
  report.verdict = MariadbVerdict(report.instances, &report.findings);
  AddSemisyncConfigFindings(&report.instances, &report.findings, &report.verdict);
  report.took = std::chrono::duration_cast<std::chrono::milliseconds>(clock.Monotonic() - start);
  return report;
}

}  // namespace hasteward::engine::mariadb
