#include "engine/galera/triage.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "core/clock.h"
#include "engine/client_tools.h"
#include "engine/galera/triage_recover.h"
#include "engine/mariadb/mariadb_engine.h"

namespace hasteward::engine::galera {

namespace {

bool Readable(const InstanceHealth& h) {
  return h.state == InstanceState::kHealthy || h.state == InstanceState::kDegraded;
}

}  // namespace

std::map<std::string, std::string> ParseGrastate(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    auto colon = line.find(':');
    if (colon == std::string::npos)
      continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    out[line.substr(0, colon)] = value;
  }
  return out;
}

Verdict GaleraVerdict(const std::vector<InstanceHealth>& instances,
                      std::vector<Finding>* findings) {
  Verdict v = Verdict::kHealthy;
  AddUnreadableFindings(instances, findings, &v);
  std::set<std::string> uuids, primary_components;
  for (const auto& i : instances) {
    if (!Readable(i))
      continue;
    if (!i.Fact("wsrep_cluster_state_uuid").empty())
      uuids.insert(i.Fact("wsrep_cluster_state_uuid"));
    if (i.Fact("wsrep_cluster_status") == "Primary") {
      primary_components.insert(i.Fact("wsrep_cluster_state_uuid") + "/" +
                                i.Fact("wsrep_cluster_conf_id"));
    }
  }
  std::set<std::string> history_uuids;  // running and stopped nodes' recorded positions
  std::string uuid_list;
  for (const auto& i : instances) {
    GaleraPosition pos = PositionFromFacts(i);
    if (!pos.valid()) {
      if (i.state == InstanceState::kStopped) {
        findings->push_back({Severity::kWarning, i.instance.name,
                             "committed position UNKNOWN (" + i.Fact("position_error") +
                                 "); no bootstrap or donor choice is safe until it is read"});
      }
      continue;
    }
    if (history_uuids.insert(pos.uuid).second) {
      uuid_list += (uuid_list.empty() ? "" : ", ") + pos.uuid;
    }
    uuid_list += " ('" + i.instance.name + "' seqno " + std::to_string(pos.seqno) + ")";
  }
  // Different cluster state UUIDs mean separately bootstrapped histories; two Primary
  // components mean two halves each accepting writes. Either way no node's data contains all.
  if (uuids.size() > 1 || history_uuids.size() > 1) {
    findings->push_back({Severity::kCritical, "",
                         "nodes hold " +
                             std::to_string(std::max(uuids.size(), history_uuids.size())) +
                             " different cluster state UUIDs: " + uuid_list});
    Raise(&v, Verdict::kSplitBrain);
  } else if (primary_components.size() > 1) {
    findings->push_back({Severity::kCritical, "", "more than one Primary component"});
    Raise(&v, Verdict::kSplitBrain);
  }
  if (primary_components.empty()) {
    findings->push_back(
        {Severity::kCritical, "", "no node is in a Primary component (the whole cluster is down)"});
    Raise(&v, Verdict::kDegraded);
  }
  for (const auto& i : instances) {
    if (i.state == InstanceState::kDegraded) {
      findings->push_back({Severity::kWarning, i.instance.name,
                           "node not synced: state '" + i.Fact("wsrep_local_state_comment") +
                               "', cluster status '" + i.Fact("wsrep_cluster_status") + "'"});
      Raise(&v, Verdict::kDegraded);
    }
  }
  return v;
}

core::Result<TriageReport> TriageGalera(platform::Platform& platform,
                                        const platform::Cluster& cluster) {
  const core::Clock& clock = core::SystemClock::Get();
  auto start = clock.Monotonic();
  TriageReport report;
  report.cluster = cluster.name;
  report.ns = cluster.ns;
  report.engine = cluster.engine;
  InstanceHandles handles(platform, cluster);  // one per instance for the whole triage
  std::vector<mariadb::InstanceProbe> probes = mariadb::ProbeInstances(handles, true);
  for (const auto& p : probes) {
    InstanceHealth h;
    h.instance = *p.instance;
    h.role = InstanceRole::kGaleraNode;
    if (!h.instance.data_dir.empty()) {
      auto gs = RunOnInstance(platform, cluster, h.instance,
                              {"cat", h.instance.data_dir + "/grastate.dat"});
      if (gs.ok()) {
        for (const auto& [k, val] : ParseGrastate(*gs))
          h.facts["grastate_" + k] = val;
      }
    }
    if (!p.status.ok()) {
      auto running = platform.IsRunning(cluster, h.instance);
      h.state = running.ok() && !*running ? InstanceState::kStopped : InstanceState::kUnknown;
      h.error = p.status.message();
    } else {
      for (const auto& [k, val] : p.vars)
        h.facts[k] = val;
      std::string why;
      h.state = mariadb::GaleraSynced(p, &why) ? InstanceState::kHealthy : InstanceState::kDegraded;
      h.writable = !p.read_only && h.state == InstanceState::kHealthy;
    }
    ReadPosition(platform, cluster, &h);
    report.instances.push_back(std::move(h));
  }
  report.verdict = GaleraVerdict(report.instances, &report.findings);
  report.took = std::chrono::duration_cast<std::chrono::milliseconds>(clock.Monotonic() - start);
  return report;
}

}  // namespace hasteward::engine::galera
