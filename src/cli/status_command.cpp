// `get status` without an operator config: the last triage of every known cluster (inventory
// clusters never triaged show as "never"), read from <stateDir>/triage.
#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/cluster_access.h"
#include "cli/commands.h"
#include "cli/table.h"
#include "jobs/triage_job.h"
#include "platform/state_dir.h"

namespace hasteward::cli {

core::Status ShowLastTriages(const GlobalOptions& g) {
  HS_ASSIGN_OR_RETURN(auto records, jobs::LoadRecordedTriages(platform::DefaultStateDir()));
  auto arr = nlohmann::ordered_json::array();
  Table t({"NAMESPACE", "CLUSTER", "ENGINE", "TRIAGE", "INSTANCES", "FINDINGS", "TRIAGED AT"});
  std::set<std::string> seen;
  for (const auto& r : records) {
    std::string ns = r.value("namespace", ""), name = r.value("cluster", "");
    seen.insert(std::string(ns).append("/").append(name));
    std::string states;
    for (const auto& i : r.value("instances", nlohmann::json::array())) {
      states += (states.empty() ? "" : " ") + i.value("name", "") + "=" + i.value("state", "");
    }
    size_t findings = r.value("findings", nlohmann::json::array()).size();
    arr.push_back({{"namespace", ns},
                   {"cluster", name},
                   {"engine", r.value("engine", "")},
                   {"triage", r.value("verdict", "")},
                   {"triaged_at", r.value("recorded_at", "")},
                   {"instances", r.value("instances", nlohmann::json::array())},
                   {"findings", r.value("findings", nlohmann::json::array())}});
    t.AddRow({ns, name, r.value("engine", ""), r.value("verdict", ""), states,
              std::to_string(findings), r.value("recorded_at", "")});
  }
  auto platform = OpenPlatform(g);
  if (platform.ok()) {
    auto clusters = (*platform)->ListClusters();
    if (clusters.ok()) {
      for (const auto& c : *clusters) {
        if (seen.count(c.ns + "/" + c.name) != 0)
          continue;
        arr.push_back({{"namespace", c.ns},
                       {"cluster", c.name},
                       {"engine", platform::EngineKindName(c.engine)},
                       {"triage", "never"}});
        t.AddRow({c.ns, c.name, platform::EngineKindName(c.engine), "never", "-", "-", "-"});
      }
    }
  }
  std::printf("%s", g.WantsJson() ? (arr.dump() + "\n").c_str() : t.Render().c_str());
  return core::Status::Ok();
}

// Registers `get status` (last triages) unless the operator's `get status` is already there (it
// shows the same table when no --config is given).
void AddTriageStatusCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out) {
  auto child = [](CLI::App* parent, const std::string& name) -> CLI::App* {
    auto found = parent->get_subcommands([&name](CLI::App* s) { return s->get_name() == name; });
    return found.empty() ? nullptr : found[0];
  };
  CLI::App* get = child(&app, "get");
  if (get == nullptr || child(get, "status") != nullptr)
    return;
  auto* cmd = get->add_subcommand("status", "Show the last triage of every known cluster");
  cmd->callback([&g, &out] { out.status = ShowLastTriages(g); });
}

}  // namespace hasteward::cli
